//! Tests for discovery (see main.rs).

#[tokio::test]
async fn p4_first_tenant_is_the_first_configured_not_the_first_by_name() {
    // "zeta" sorts after "default" but "alpha" before it: the handle must follow config order.
    let idp = mock_idp::MockIdp::builder()
        .tenant(mock_idp::TenantConfig::named("alpha"))
        .start()
        .await;
    assert!(idp.issuer_url().ends_with("/default"), "{}", idp.issuer_url());
    assert!(idp.issuer_url_of("alpha").is_some());
}
