//! The report: results.json, report.md, one SVG bar chart per workload, and the report spliced
//! into the benchmarks page between its markers.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;

use crate::workloads::Workload;
use crate::{Results, Run};

const BEGIN: &str = "<!-- bench:begin -->";
const END: &str = "<!-- bench:end -->";

/// Writes everything into `out` and, when `doc` has the markers, the report into `doc`.
pub fn write(r: &Results, out: &Path, doc: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out)?;
    std::fs::write(out.join("results.json"), unlocal(serde_json::to_string_pretty(r)? + "\n"))?;
    let img_dir = doc
        .parent()
        .and_then(|d| out.strip_prefix(d).ok())
        .unwrap_or(out)
        .to_string_lossy()
        .into_owned();
    let mut md = unlocal(markdown(r, &img_dir));
    for w in Workload::ALL {
        let bars = bars(r, w);
        if !bars.is_empty() {
            std::fs::write(out.join(format!("{}.svg", w.id())), svg(w.title(), &bars))?;
        }
    }
    std::fs::write(out.join("report.md"), &md)?;
    if let Ok(page) = std::fs::read_to_string(doc) {
        if let (Some(b), Some(e)) = (page.find(BEGIN), page.find(END)) {
            md = format!("{}{BEGIN}\n{md}{}", &page[..b], &page[e..]);
            std::fs::write(doc, md).with_context(|| format!("writing {}", doc.display()))?;
        }
    }
    Ok(())
}

/// `text` with this machine's folders (skip reasons name log files) made relative: the report
/// is committed.
fn unlocal(text: String) -> String {
    let mut text = text;
    if let Ok(cwd) = std::env::current_dir() {
        text = text.replace(&format!("{}/", cwd.display()), "");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|h| h.len() > 1) {
        text = text.replace(&home.to_string_lossy().into_owned(), "~");
    }
    text
}

fn fig<'a>(r: &'a Results, subject: &str, w: Workload) -> Option<&'a crate::wrk::Figures> {
    r.runs
        .iter()
        .find(|x| x.subject == subject && x.workload == w)
        .and_then(|x| x.figures.as_ref())
}

/// Our subject for a workload: the provider, or the embedded Weaviate layer.
fn ours(w: Workload) -> &'static str {
    match w {
        Workload::WeaviateToken | Workload::WeaviateApiKey | Workload::WeaviateInvalidToken | Workload::WeaviateHealth => "weaviate-emu",
        _ => "oidc-harness",
    }
}

/// The rows of a workload's table and chart: (label, run). Discovery and JWKS add the ceiling.
fn bars(r: &Results, w: Workload) -> Vec<(String, &Run)> {
    if w.is_ceiling() {
        return vec![];
    }
    let mut rows: Vec<(String, &Run)> = r
        .runs
        .iter()
        .filter(|x| x.workload == w && x.figures.is_some())
        .map(|x| (x.subject.clone(), x))
        .collect();
    // The workloads whose target is a fraction of the hello-world show it as a ceiling.
    if matches!(
        w,
        Workload::Discovery | Workload::Jwks | Workload::ClientCredentialsEs256 | Workload::ClientCredentialsEdDsa
    ) {
        if let Some(h) = r.runs.iter().find(|x| x.workload == Workload::Hello && x.figures.is_some()) {
            rows.push(("axum-hello (ceiling, GET /)".into(), h));
        }
    }
    if let Some((twin, label)) = twin(w) {
        if let Some(h) = r.runs.iter().find(|x| x.workload == twin && x.figures.is_some()) {
            rows.push((format!("axum-hello ({label})"), h));
        }
    }
    rows
}

/// The hello-world workload that does only what our answer to `w` cannot do without, and its
/// label: as many bytes for a GET, one signature for a token.
fn twin(w: Workload) -> Option<(Workload, &'static str)> {
    match w {
        Workload::Discovery => Some((Workload::HelloDiscoveryBytes, "as many bytes")),
        Workload::Jwks => Some((Workload::HelloJwksBytes, "as many bytes")),
        Workload::ClientCredentialsEs256 => Some((Workload::HelloSignEs256, "POST + one signature")),
        Workload::ClientCredentialsEdDsa => Some((Workload::HelloSignEdDsa, "POST + one signature")),
        _ => None,
    }
}

fn us(x: Option<f64>) -> String {
    x.map_or("–".into(), |x| format!("{x:.2} µs"))
}

fn mib(b: Option<u64>) -> String {
    b.map_or("–".into(), |b| format!("{:.1} MiB", b as f64 / 1048576.0))
}

fn pct(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.0} %", 100.0 * a / b),
        _ => "–".into(),
    }
}

/// Tokens per second if each cost one hello-world request and one signature at `signs_per_s`,
/// both measured on the whole machine (the times add up): the most a token endpoint can answer
/// when everything besides HTTP and the signature is free.
fn token_ceiling(hello_rps: Option<f64>, signs_per_s: Option<f64>) -> Option<f64> {
    match (hello_rps, signs_per_s) {
        (Some(h), Some(s)) if h > 0.0 && s > 0.0 => Some(1.0 / (1.0 / h + 1.0 / s)),
        _ => None,
    }
}

/// The signs/s behind a token workload: `openssl speed`'s and our signer's in process.
fn sign_rates(r: &Results, w: Workload) -> (Option<f64>, Option<f64>) {
    let (lim, ours) = (r.limit.as_ref(), r.signer.as_ref());
    match w {
        Workload::ClientCredentials => (lim.and_then(|l| l.rsa2048), ours.map(|x| x.rs256)),
        Workload::ClientCredentialsEs256 => (lim.and_then(|l| l.ecdsap256), ours.map(|x| x.es256)),
        Workload::ClientCredentialsEdDsa => (lim.and_then(|l| l.ed25519), ours.map(|x| x.eddsa)),
        _ => (None, None),
    }
}

fn markdown(r: &Results, img_dir: &str) -> String {
    let mut s = String::new();
    let l = &r.load;
    let _ = writeln!(
        s,
        "<!-- Written by `just bench` (crates/bench); edit the harness, not this section. -->"
    );
    let _ = writeln!(s, "### Run of {} ({:.0} s wall time)\n", r.started, r.wall_s);
    if !r.remark.is_empty() {
        let _ = writeln!(s, "**{}**\n", r.remark);
    }
    let la = r.load_average.map_or("unknown".into(), |x| format!("{x:.2}"));
    let _ = writeln!(
        s,
        "{} logical CPUs, 1-minute load average {la} at the start. Each workload: `wrk -t{} -c{} -d{}s` from the same \
         machine over 127.0.0.1, after one probe request that checks the answer. Errors are answers with another status \
         than expected / socket errors. Ratios are ours ÷ the peer's requests/s. CPU per request is the user and system \
         time of the subject's processes, and of wrk, from /proc, over the requests completed: wrk shares the cores, \
         so a larger answer lowers the throughput through wrk's share too.\n",
        r.cpus, l.threads, l.connections, l.seconds
    );
    let rps = |subject: &str, w| fig(r, subject, w).map(|f| f.rps);

    // Targets of issue 10, as ratios taken in this run.
    let _ = writeln!(s, "#### Ratios to the targets\n\n| Target | Measured |\n|---|---|");
    let rsa = r.limit.as_ref().and_then(|x| x.rsa2048);
    let _ = writeln!(
        s,
        "| RS256 client_credentials tokens/s ≥ 80 % of `openssl speed` RSA-2048 signs/s | {} |",
        pct(rps("oidc-harness", Workload::ClientCredentials), rsa)
    );
    for w in [Workload::Discovery, Workload::Jwks] {
        let (sized, _) = twin(w).expect("a GET target has a sized peer");
        let bytes = r
            .runs
            .iter()
            .find(|x| x.subject == "oidc-harness" && x.workload == w)
            .and_then(|x| x.body_bytes)
            .map_or("–".into(), |n| n.to_string());
        let _ = writeln!(
            s,
            "| {} ≥ 80 % of the axum hello-world | {}; {} of the hello-world answering as many bytes ({bytes}) |",
            w.title(),
            pct(rps("oidc-harness", w), rps("axum-hello", Workload::Hello)),
            pct(rps("oidc-harness", w), rps("axum-hello", sized))
        );
    }
    let hello = rps("axum-hello", Workload::Hello);
    for w in [Workload::ClientCredentialsEs256, Workload::ClientCredentialsEdDsa] {
        let (openssl, ours) = sign_rates(r, w);
        let (signing, _) = twin(w).expect("a token target has a signing peer");
        let _ = writeln!(
            s,
            "| {} ≥ 40 % of the axum hello-world | {}; the hello-world answering the same POST with one signature and \
             nothing else measured {} (ours ÷ it: {}); computed from the rates, one hello-world request plus one \
             signature per token would give {} at our signer's in-process rate, {} at `openssl speed`'s |",
            w.title(),
            pct(rps("oidc-harness", w), hello),
            pct(rps("axum-hello", signing), hello),
            pct(rps("oidc-harness", w), rps("axum-hello", signing)),
            pct(token_ceiling(hello, ours), hello),
            pct(token_ceiling(hello, openssl), hello)
        );
    }
    let _ = writeln!(
        s,
        "| Weaviate layer: valid token ≥ 70 % of the health check | {} |",
        pct(
            rps("weaviate-emu", Workload::WeaviateToken),
            rps("weaviate-emu", Workload::WeaviateHealth)
        )
    );
    let _ = writeln!(
        s,
        "| Weaviate layer: invalid tokens rejected ≥ 100 % as fast as valid ones accepted | {} |",
        pct(
            rps("weaviate-emu", Workload::WeaviateInvalidToken),
            rps("weaviate-emu", Workload::WeaviateToken)
        )
    );
    if let Some(f) = fig(r, "oidc-harness", Workload::ClientCredentials) {
        let _ = writeln!(
            s,
            "| RS256 client_credentials p99 at {} connections < 15 ms | {:.2} ms |",
            l.connections, f.p99_ms
        );
    }
    if let Some(us) = r.subjects.iter().find(|x| x.name == "oidc-harness") {
        let _ = writeln!(
            s,
            "| provider idle RSS < 15 MB; under load < 30 MB | {} ; {} |",
            mib(us.idle_rss),
            mib(us.loaded_rss)
        );
    }

    if r.limit.is_some() || r.signer.is_some() {
        let command = r
            .limit
            .as_ref()
            .map_or("openssl speed: not run".into(), |l| format!("`{}`", l.command));
        let input = r.signer.as_ref().map_or(0, |x| x.input_bytes);
        let _ = writeln!(
            s,
            "\n#### Hardware limit: {command}, and our signer in process\n\n\
             The in-process column is `SigningKey::sign_raw` (the provider's signing call) on every core over a \
             {input}-byte header and payload, nothing else.\n\n\
             | Signature | `openssl speed` signs/s | our signer in process, tokens/s | our tokens/s through HTTP as a fraction of each |\n|---|---|---|---|"
        );
        let n = |x: Option<f64>| x.map_or("–".into(), |x| format!("{x:.0}"));
        for (name, w) in [
            ("RSA-2048", Workload::ClientCredentials),
            ("ECDSA P-256", Workload::ClientCredentialsEs256),
            ("Ed25519", Workload::ClientCredentialsEdDsa),
        ] {
            let (openssl, signer) = sign_rates(r, w);
            let tokens = rps("oidc-harness", w);
            let _ = writeln!(
                s,
                "| {name} | {} | {} | {} ; {} ({}) |",
                n(openssl),
                n(signer),
                pct(tokens, openssl),
                pct(tokens, signer),
                w.id()
            );
        }
    }

    let _ = writeln!(
        s,
        "\n#### Subjects\n\n| Subject | Start to first ready answer (discovery; Weaviate: /v1/.well-known/ready) | Idle RSS | Peak RSS under load | Note |\n|---|---|---|---|---|"
    );
    for x in &r.subjects {
        let start = x.startup_ms.map_or("–".into(), |ms| {
            if ms < 1000.0 {
                format!("{ms:.1} ms")
            } else {
                format!("{:.2} s", ms / 1e3)
            }
        });
        let note = match (&x.skipped, &x.note) {
            (Some(why), _) => format!("**skipped**: {why}"),
            (None, Some(n)) => n.clone(),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            s,
            "| {} | {start} | {} | {} | {} |",
            x.name,
            mib(x.idle_rss),
            mib(x.loaded_rss),
            note.replace('|', "\\|")
        );
    }

    for w in Workload::ALL {
        let rows = bars(r, w);
        let skipped: Vec<&Run> = r.runs.iter().filter(|x| x.workload == w && x.skipped.is_some()).collect();
        if rows.is_empty() && skipped.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n#### {}\n", w.title());
        if !rows.is_empty() {
            let _ = writeln!(s, "![{}]({img_dir}/{}.svg)\n", w.title(), w.id());
        }
        let base = rps(ours(w), w);
        let _ = writeln!(
            s,
            "| Subject | req/s | p50 | p99 | errors | ours ÷ this | server CPU per request | wrk CPU per request |\n|---|---|---|---|---|---|---|---|"
        );
        for (label, run) in &rows {
            let f = run.figures.as_ref().expect("rows have figures");
            let note = r.subjects.iter().find(|x| x.name == run.subject).and_then(|x| x.note.as_deref());
            let label = match note {
                Some(n) if run.subject == "navikt" => format!("{label} ({n})"),
                _ => label.clone(),
            };
            let ratio = base.map_or("–".into(), |b| format!("{:.2}", b / f.rps));
            let _ = writeln!(
                s,
                "| {label} | {:.0} | {:.2} ms | {:.2} ms | {} / {} | {ratio} | {} | {} |",
                f.rps,
                f.p50_ms,
                f.p99_ms,
                f.status_errors,
                f.socket_errors,
                us(f.server_cpu_us),
                us(f.client_cpu_us)
            );
        }
        for x in skipped {
            let _ = writeln!(
                s,
                "\nSkipped on {}: {}",
                x.subject,
                x.skipped.as_deref().unwrap_or("").replace('|', "\\|")
            );
        }
    }
    s.push('\n');
    s
}

/// A horizontal bar chart of requests/s; our subjects in a darker colour.
fn svg(title: &str, rows: &[(String, &Run)]) -> String {
    let (left, width, bar, gap, top) = (260.0, 420.0, 22.0, 8.0, 40.0);
    let max = rows
        .iter()
        .filter_map(|(_, r)| r.figures.as_ref())
        .map(|f| f.rps)
        .fold(1.0, f64::max);
    let height = top + rows.len() as f64 * (bar + gap) + 10.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"22\" font-size=\"14\" font-weight=\"bold\">{} (requests/s)</text>\n",
        escape(title),
        w = left + width + 90.0
    );
    for (i, (label, run)) in rows.iter().enumerate() {
        let rps = run.figures.as_ref().map_or(0.0, |f| f.rps);
        let y = top + i as f64 * (bar + gap);
        let len = (width * rps / max).max(1.0);
        let colour = if run.subject == "oidc-harness" || run.subject == "weaviate-emu" {
            "#1f5fa8"
        } else {
            "#9ab"
        };
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect x=\"{left}\" y=\"{y}\" width=\"{len:.1}\" height=\"{bar}\" fill=\"{colour}\"/>\
             <text x=\"{:.1}\" y=\"{}\">{rps:.0}</text>",
            left - 8.0,
            y + 15.0,
            escape(label),
            left + len + 6.0,
            y + 15.0
        );
    }
    s + "</svg>\n"
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::token_ceiling;

    #[test]
    fn a_tokens_time_is_a_hello_world_request_plus_a_signature() {
        // 5 µs + 10 µs: 15 µs a token.
        let ceiling = token_ceiling(Some(200_000.0), Some(100_000.0)).expect("both measured");
        assert!((ceiling - 66_666.7).abs() < 0.1, "{ceiling}");
        assert_eq!(token_ceiling(None, Some(1.0)), None);
        assert_eq!(token_ceiling(Some(1.0), Some(0.0)), None);
    }
}
