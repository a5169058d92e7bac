//! The README's generated lists stay in step with the code they describe (P145, P124). The preset
//! table joins Weaviate's outcomes (conformance crate), so the root tests check it (`tests/it/docs.rs`).

const README: &str = include_str!("../../../../README.md");

/// The text between `<!-- {name}:begin -->` and `<!-- {name}:end -->` in the README.
fn section(name: &str) -> &'static str {
    let begin = format!("<!-- {name}:begin -->\n");
    let end = format!("<!-- {name}:end -->");
    let start = README.find(&begin).unwrap_or_else(|| panic!("README has no {begin:?} marker")) + begin.len();
    let stop = README[start..].find(&end).unwrap_or_else(|| panic!("README has no {end:?} marker")) + start;
    &README[start..stop]
}

#[test]
fn p145_readme_fault_kind_list_is_the_generated_one() {
    let want = mock_idp::internals::markdown_list();
    assert_eq!(
        section("faults").trim_end(),
        want.trim_end(),
        "README fault kinds differ; the generated list is:\n{want}"
    );
}

#[test]
fn p124_readme_persona_table_is_the_generated_one() {
    let want = mock_idp::internals::markdown_table();
    assert_eq!(
        section("personas").trim_end(),
        want.trim_end(),
        "README persona table differs; the generated one is:\n{want}"
    );
}

#[test]
fn p160_readme_lists_every_intentional_deviation() {
    let start = README
        .find("## Deviations from the standards")
        .expect("README has a deviations section");
    let section = &README[start..];
    let section = &section[..section[3..].find("\n## ").map(|i| i + 3).unwrap_or(section.len())];
    for deviation in ["Plain HTTP on loopback", "The password grant", "Permissive mode", "`_mock/` route"] {
        assert!(section.contains(deviation), "the deviations section does not mention {deviation:?}");
    }
}
