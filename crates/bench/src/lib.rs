//! What the `bench` binary and the `hello` ceiling share: the signing input of a typical token.

/// A client_credentials token's header and payload, as the provider serialises them: what our
/// signer's in-process rate signs, and what the hello-world's `POST /sign/{alg}` signs.
pub mod token_sample {
    /// The JOSE header.
    pub const HEADER: &str = r#"{"alg":"ES256","kid":"0t3oDfwAX1twjA8jx_5xzOLcvpDm3XhKHWscRzFFQeg","typ":"JWT"}"#;
    /// The claims.
    pub const PAYLOAD: &str = r#"{"aud":"ci-runner","client_id":"ci-runner","exp":1796586853,"iat":1796583253,"iss":"http://127.0.0.1:8080/es256","jti":"ea4e4fda-5981-4a50-b0ca-b8eb695aa5e9","nbf":1796583253,"scope":"openid","sub":"ci-runner"}"#;
}
