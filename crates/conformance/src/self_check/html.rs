//! Reading the pages a provider serves: its login form and a form_post response.

/// An HTML form, as much as the self-check needs: where it goes and its inputs.
#[derive(Debug, PartialEq)]
pub(super) struct HtmlForm {
    pub(super) action: String,
    pub(super) inputs: Vec<HtmlInput>,
}

#[derive(Debug, PartialEq)]
pub(super) struct HtmlInput {
    pub(super) name: String,
    pub(super) value: String,
    pub(super) kind: String,
}

/// Finds the forms of a page (login page or form_post response). Enough for well-formed
/// pages that a provider serves; not a general HTML parser.
pub(super) fn forms(html: &str) -> Vec<HtmlForm> {
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = lower[from..].find("<form").map(|i| i + from) {
        let end = lower[start..].find("</form").map(|i| i + start).unwrap_or(html.len());
        let tag_end = lower[start..].find('>').map(|i| i + start).unwrap_or(end);
        let action = attr(&html[start..tag_end], "action").unwrap_or_default();
        let mut inputs = Vec::new();
        let mut at = start;
        while let Some(i) = lower[at..end].find("<input").map(|i| i + at) {
            let close = lower[i..end].find('>').map(|j| j + i).unwrap_or(end);
            let tag = &html[i..close];
            inputs.push(HtmlInput {
                name: attr(tag, "name").unwrap_or_default(),
                value: attr(tag, "value").unwrap_or_default(),
                kind: attr(tag, "type").unwrap_or_else(|| "text".into()).to_ascii_lowercase(),
            });
            at = close;
        }
        out.push(HtmlForm { action, inputs });
        from = end.max(start + 5);
        if from >= html.len() {
            break;
        }
    }
    out
}

/// The value of attribute `name` in a tag, with HTML entities decoded.
pub(super) fn attr(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name).map(|i| i + from) {
        from = i + name.len();
        let before_ok = i > 0 && lower.as_bytes()[i - 1].is_ascii_whitespace();
        let rest = tag[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let rest = rest[1..].trim_start();
        let value = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => rest[1..].split(q).next().unwrap_or(""),
            _ => rest.split(|c: char| c.is_whitespace() || c == '>' || c == '/').next().unwrap_or(""),
        };
        return Some(unescape(value));
    }
    None
}

pub(super) fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#x2F;", "/")
        .replace("&#47;", "/")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p93_forms_reads_a_form_post_page_with_escaped_values() {
        let page = r#"<html><body onload="document.forms[0].submit()">
            <form method="post" action="http://127.0.0.1/callback">
              <input type="hidden" name="code" value="a&amp;b"/>
              <input type=hidden name='state' value="&quot;s&quot;">
              <noscript><button type="submit">Continue</button></noscript>
            </form></body></html>"#;
        let f = forms(page);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].action, "http://127.0.0.1/callback");
        assert_eq!(f[0].inputs[0].name, "code");
        assert_eq!(f[0].inputs[0].value, "a&b");
        assert_eq!(f[0].inputs[1].name, "state");
        assert_eq!(f[0].inputs[1].value, "\"s\"");
        assert_eq!(f[0].inputs[1].kind, "hidden");
    }

    #[test]
    fn p98_forms_finds_the_password_field_of_a_login_page_and_ignores_look_alike_attributes() {
        let page = r#"<form action="/default/login" method="post">
            <input type="hidden" name="csrf" value="t1">
            <input data-name="x" name="username" value="">
            <input type="password" name="password">
            </form>"#;
        let f = forms(page);
        assert_eq!(f[0].action, "/default/login");
        let kinds: Vec<(&str, &str)> = f[0].inputs.iter().map(|i| (i.name.as_str(), i.kind.as_str())).collect();
        assert_eq!(kinds, vec![("csrf", "hidden"), ("username", "text"), ("password", "password")]);
    }
}
