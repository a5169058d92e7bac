//! The `/v1` route table, matched before any credential check as go-swagger does: every path and
//! method of v1.38.11's OpenAPI document (`openapi-specs/schema.json`), either served by a
//! handler or, when the emulation does not serve it, `Op::NotEmulated` (authenticated, then 501).
//! A path no route matches is Weaviate's 404, a method the path does not document its 405, both
//! before authentication. Where two patterns match a path, the one with a literal segment where
//! the other has a parameter wins, as in go-swagger's router (`/v1/objects/validate` is not an
//! object id).

use super::Op;
use crate::error::Error;

/// A path pattern (`{}` is a parameter) and its methods (`ROUTES` is sorted by pattern). The order
/// of the methods is the order of the `Allow` header; v1.38.11 lists them in a random order that
/// changes between requests (a Go map).
struct Route {
    pattern: &'static str,
    methods: &'static [(&'static str, Op)],
}

const ROUTES: &[Route] = &[
    Route {
        pattern: "/v1",
        methods: &[("GET", Op::Links)],
    },
    Route {
        pattern: "/v1/.well-known/live",
        methods: &[("GET", Op::Live)],
    },
    Route {
        pattern: "/v1/.well-known/openid-configuration",
        methods: &[("GET", Op::OpenidConfiguration)],
    },
    Route {
        pattern: "/v1/.well-known/ready",
        methods: &[("GET", Op::Ready)],
    },
    Route {
        pattern: "/v1/aggregate/{}",
        methods: &[("POST", Op::NotEmulated("/v1/aggregate/{collection}"))],
    },
    Route {
        pattern: "/v1/aliases",
        methods: &[("GET", Op::NotEmulated("/v1/aliases")), ("POST", Op::NotEmulated("/v1/aliases"))],
    },
    Route {
        pattern: "/v1/aliases/{}",
        methods: &[
            ("DELETE", Op::NotEmulated("/v1/aliases/{aliasName}")),
            ("GET", Op::NotEmulated("/v1/aliases/{aliasName}")),
            ("PUT", Op::NotEmulated("/v1/aliases/{aliasName}")),
        ],
    },
    Route {
        pattern: "/v1/authz/groups/{}",
        methods: &[("GET", Op::NotEmulated("/v1/authz/groups/{groupType}"))],
    },
    Route {
        pattern: "/v1/authz/groups/{}/assign",
        methods: &[("POST", Op::GroupAssign)],
    },
    Route {
        pattern: "/v1/authz/groups/{}/revoke",
        methods: &[("POST", Op::GroupRevoke)],
    },
    Route {
        pattern: "/v1/authz/groups/{}/roles/{}",
        methods: &[("GET", Op::GroupRoles)],
    },
    Route {
        pattern: "/v1/authz/roles",
        methods: &[("GET", Op::RolesList), ("POST", Op::RoleCreate)],
    },
    Route {
        pattern: "/v1/authz/roles/{}",
        methods: &[("DELETE", Op::RoleDelete), ("GET", Op::RoleGet)],
    },
    Route {
        pattern: "/v1/authz/roles/{}/add-permissions",
        methods: &[("POST", Op::NotEmulated("/v1/authz/roles/{id}/add-permissions"))],
    },
    Route {
        pattern: "/v1/authz/roles/{}/group-assignments",
        methods: &[("GET", Op::NotEmulated("/v1/authz/roles/{id}/group-assignments"))],
    },
    Route {
        pattern: "/v1/authz/roles/{}/has-permission",
        methods: &[("POST", Op::NotEmulated("/v1/authz/roles/{id}/has-permission"))],
    },
    Route {
        pattern: "/v1/authz/roles/{}/remove-permissions",
        methods: &[("POST", Op::NotEmulated("/v1/authz/roles/{id}/remove-permissions"))],
    },
    Route {
        pattern: "/v1/authz/roles/{}/user-assignments",
        methods: &[("GET", Op::NotEmulated("/v1/authz/roles/{id}/user-assignments"))],
    },
    Route {
        pattern: "/v1/authz/roles/{}/users",
        methods: &[("GET", Op::NotEmulated("/v1/authz/roles/{id}/users"))],
    },
    Route {
        pattern: "/v1/authz/users/{}/assign",
        methods: &[("POST", Op::UserAssign)],
    },
    Route {
        pattern: "/v1/authz/users/{}/revoke",
        methods: &[("POST", Op::UserRevoke)],
    },
    Route {
        pattern: "/v1/authz/users/{}/roles",
        methods: &[("GET", Op::UserRolesDeprecated)],
    },
    Route {
        pattern: "/v1/authz/users/{}/roles/{}",
        methods: &[("GET", Op::UserRoles)],
    },
    Route {
        pattern: "/v1/backups/{}",
        methods: &[
            ("GET", Op::NotEmulated("/v1/backups/{backend}")),
            ("POST", Op::NotEmulated("/v1/backups/{backend}")),
        ],
    },
    Route {
        pattern: "/v1/backups/{}/{}",
        methods: &[
            ("DELETE", Op::NotEmulated("/v1/backups/{backend}/{id}")),
            ("GET", Op::NotEmulated("/v1/backups/{backend}/{id}")),
        ],
    },
    Route {
        pattern: "/v1/backups/{}/{}/restore",
        methods: &[
            ("DELETE", Op::NotEmulated("/v1/backups/{backend}/{id}/restore")),
            ("GET", Op::NotEmulated("/v1/backups/{backend}/{id}/restore")),
            ("POST", Op::NotEmulated("/v1/backups/{backend}/{id}/restore")),
        ],
    },
    Route {
        pattern: "/v1/batch/objects",
        methods: &[
            ("DELETE", Op::NotEmulated("/v1/batch/objects")),
            ("POST", Op::NotEmulated("/v1/batch/objects")),
        ],
    },
    Route {
        pattern: "/v1/batch/references",
        methods: &[("POST", Op::NotEmulated("/v1/batch/references"))],
    },
    Route {
        pattern: "/v1/classifications",
        methods: &[("POST", Op::NotEmulated("/v1/classifications"))],
    },
    Route {
        pattern: "/v1/classifications/{}",
        methods: &[("GET", Op::NotEmulated("/v1/classifications/{id}"))],
    },
    Route {
        pattern: "/v1/cluster/statistics",
        methods: &[("GET", Op::ClusterStatistics)],
    },
    Route {
        pattern: "/v1/export/{}",
        methods: &[("POST", Op::NotEmulated("/v1/export/{backend}"))],
    },
    Route {
        pattern: "/v1/export/{}/{}",
        methods: &[
            ("DELETE", Op::NotEmulated("/v1/export/{backend}/{id}")),
            ("GET", Op::NotEmulated("/v1/export/{backend}/{id}")),
        ],
    },
    Route {
        pattern: "/v1/graphql",
        methods: &[("POST", Op::Graphql)],
    },
    Route {
        pattern: "/v1/graphql/batch",
        methods: &[("POST", Op::NotEmulated("/v1/graphql/batch"))],
    },
    Route {
        pattern: "/v1/mcp",
        methods: &[
            ("DELETE", Op::NotEmulated("/v1/mcp")),
            ("GET", Op::NotEmulated("/v1/mcp")),
            ("POST", Op::NotEmulated("/v1/mcp")),
        ],
    },
    Route {
        pattern: "/v1/meta",
        methods: &[("GET", Op::Meta)],
    },
    Route {
        pattern: "/v1/namespaces",
        methods: &[("GET", Op::NotEmulated("/v1/namespaces"))],
    },
    Route {
        pattern: "/v1/namespaces/{}",
        methods: &[
            ("DELETE", Op::NotEmulated("/v1/namespaces/{namespace_id}")),
            ("GET", Op::NotEmulated("/v1/namespaces/{namespace_id}")),
            ("POST", Op::NotEmulated("/v1/namespaces/{namespace_id}")),
            ("PUT", Op::NotEmulated("/v1/namespaces/{namespace_id}")),
        ],
    },
    Route {
        pattern: "/v1/namespaces/{}/resume",
        methods: &[("POST", Op::NotEmulated("/v1/namespaces/{namespace_id}/resume"))],
    },
    Route {
        pattern: "/v1/namespaces/{}/suspend",
        methods: &[("POST", Op::NotEmulated("/v1/namespaces/{namespace_id}/suspend"))],
    },
    Route {
        pattern: "/v1/nodes",
        methods: &[("GET", Op::Nodes)],
    },
    Route {
        pattern: "/v1/nodes/{}",
        methods: &[("GET", Op::NotEmulated("/v1/nodes/{className}"))],
    },
    Route {
        pattern: "/v1/objects",
        methods: &[("GET", Op::ObjectsList), ("POST", Op::ObjectCreate)],
    },
    Route {
        pattern: "/v1/objects/validate",
        methods: &[("POST", Op::NotEmulated("/v1/objects/validate"))],
    },
    Route {
        pattern: "/v1/objects/{}",
        methods: &[
            ("DELETE", Op::ObjectDeleteById),
            ("GET", Op::ObjectGetById),
            ("HEAD", Op::NotEmulated("/v1/objects/{id}")),
            ("PATCH", Op::NotEmulated("/v1/objects/{id}")),
            ("PUT", Op::NotEmulated("/v1/objects/{id}")),
        ],
    },
    Route {
        pattern: "/v1/objects/{}/references/{}",
        methods: &[
            ("DELETE", Op::NotEmulated("/v1/objects/{id}/references/{propertyName}")),
            ("POST", Op::NotEmulated("/v1/objects/{id}/references/{propertyName}")),
            ("PUT", Op::NotEmulated("/v1/objects/{id}/references/{propertyName}")),
        ],
    },
    Route {
        pattern: "/v1/objects/{}/{}",
        methods: &[
            ("DELETE", Op::ObjectDelete),
            ("GET", Op::ObjectGet),
            ("HEAD", Op::ObjectHead),
            ("PATCH", Op::ObjectMerge),
            ("PUT", Op::ObjectReplace),
        ],
    },
    Route {
        pattern: "/v1/objects/{}/{}/references/{}",
        methods: &[
            ("DELETE", Op::NotEmulated("/v1/objects/{className}/{id}/references/{propertyName}")),
            ("POST", Op::NotEmulated("/v1/objects/{className}/{id}/references/{propertyName}")),
            ("PUT", Op::NotEmulated("/v1/objects/{className}/{id}/references/{propertyName}")),
        ],
    },
    Route {
        pattern: "/v1/replication/replicate",
        methods: &[
            ("DELETE", Op::NotEmulated("/v1/replication/replicate")),
            ("POST", Op::NotEmulated("/v1/replication/replicate")),
        ],
    },
    Route {
        pattern: "/v1/replication/replicate/force-delete",
        methods: &[("POST", Op::NotEmulated("/v1/replication/replicate/force-delete"))],
    },
    Route {
        pattern: "/v1/replication/replicate/list",
        methods: &[("GET", Op::NotEmulated("/v1/replication/replicate/list"))],
    },
    Route {
        pattern: "/v1/replication/replicate/{}",
        methods: &[
            ("DELETE", Op::NotEmulated("/v1/replication/replicate/{id}")),
            ("GET", Op::NotEmulated("/v1/replication/replicate/{id}")),
        ],
    },
    Route {
        pattern: "/v1/replication/replicate/{}/cancel",
        methods: &[("POST", Op::NotEmulated("/v1/replication/replicate/{id}/cancel"))],
    },
    Route {
        pattern: "/v1/replication/scale",
        methods: &[
            ("GET", Op::NotEmulated("/v1/replication/scale")),
            ("POST", Op::NotEmulated("/v1/replication/scale")),
        ],
    },
    Route {
        pattern: "/v1/replication/sharding-state",
        methods: &[("GET", Op::NotEmulated("/v1/replication/sharding-state"))],
    },
    Route {
        pattern: "/v1/schema",
        methods: &[("GET", Op::SchemaList), ("POST", Op::SchemaCreate)],
    },
    Route {
        pattern: "/v1/schema/{}",
        methods: &[("DELETE", Op::ClassDelete), ("GET", Op::ClassGet), ("PUT", Op::ClassUpdate)],
    },
    Route {
        pattern: "/v1/schema/{}/indexes",
        methods: &[("GET", Op::NotEmulated("/v1/schema/{className}/indexes"))],
    },
    Route {
        pattern: "/v1/schema/{}/indexes/{}",
        methods: &[("PUT", Op::NotEmulated("/v1/schema/{className}/indexes/{propertyName}"))],
    },
    Route {
        pattern: "/v1/schema/{}/properties",
        methods: &[("POST", Op::PropertyAdd)],
    },
    Route {
        pattern: "/v1/schema/{}/properties/{}/index/{}",
        methods: &[(
            "DELETE",
            Op::NotEmulated("/v1/schema/{className}/properties/{propertyName}/index/{indexName}"),
        )],
    },
    Route {
        pattern: "/v1/schema/{}/properties/{}/tokenize",
        methods: &[("POST", Op::NotEmulated("/v1/schema/{className}/properties/{propertyName}/tokenize"))],
    },
    Route {
        pattern: "/v1/schema/{}/shards",
        methods: &[("GET", Op::NotEmulated("/v1/schema/{className}/shards"))],
    },
    Route {
        pattern: "/v1/schema/{}/shards/{}",
        methods: &[("PUT", Op::NotEmulated("/v1/schema/{className}/shards/{shardName}"))],
    },
    Route {
        pattern: "/v1/schema/{}/tenants",
        methods: &[
            ("DELETE", Op::NotEmulated("/v1/schema/{className}/tenants")),
            ("GET", Op::NotEmulated("/v1/schema/{className}/tenants")),
            ("POST", Op::NotEmulated("/v1/schema/{className}/tenants")),
            ("PUT", Op::NotEmulated("/v1/schema/{className}/tenants")),
        ],
    },
    Route {
        pattern: "/v1/schema/{}/tenants/{}",
        methods: &[
            ("GET", Op::NotEmulated("/v1/schema/{className}/tenants/{tenantName}")),
            ("HEAD", Op::NotEmulated("/v1/schema/{className}/tenants/{tenantName}")),
        ],
    },
    Route {
        pattern: "/v1/schema/{}/vectors/{}/index",
        methods: &[("DELETE", Op::NotEmulated("/v1/schema/{className}/vectors/{vectorIndexName}/index"))],
    },
    Route {
        pattern: "/v1/search/{}/bm25",
        methods: &[("POST", Op::NotEmulated("/v1/search/{collection}/bm25"))],
    },
    Route {
        pattern: "/v1/search/{}/hybrid",
        methods: &[("POST", Op::NotEmulated("/v1/search/{collection}/hybrid"))],
    },
    Route {
        pattern: "/v1/search/{}/near-object",
        methods: &[("POST", Op::NotEmulated("/v1/search/{collection}/near-object"))],
    },
    Route {
        pattern: "/v1/search/{}/near-text",
        methods: &[("POST", Op::NotEmulated("/v1/search/{collection}/near-text"))],
    },
    Route {
        pattern: "/v1/tasks",
        methods: &[("GET", Op::NotEmulated("/v1/tasks"))],
    },
    Route {
        pattern: "/v1/tokenize",
        methods: &[("POST", Op::NotEmulated("/v1/tokenize"))],
    },
    Route {
        pattern: "/v1/users/db",
        methods: &[("GET", Op::DbUsersList)],
    },
    Route {
        pattern: "/v1/users/db/{}",
        methods: &[("DELETE", Op::DbUserDelete), ("GET", Op::DbUserGet), ("POST", Op::DbUserCreate)],
    },
    Route {
        pattern: "/v1/users/db/{}/activate",
        methods: &[("POST", Op::DbUserActivate)],
    },
    Route {
        pattern: "/v1/users/db/{}/deactivate",
        methods: &[("POST", Op::DbUserDeactivate)],
    },
    Route {
        pattern: "/v1/users/db/{}/rotate-key",
        methods: &[("POST", Op::DbUserRotate)],
    },
    Route {
        pattern: "/v1/users/own-info",
        methods: &[("GET", Op::OwnInfo)],
    },
];

/// The outcome of routing: an operation with its decoded path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    /// The operation.
    pub op: Op,
    /// Percent-decoded path parameters, in order.
    pub params: Vec<String>,
}

fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Which segments of `pattern` are literal, as bits from the most significant down: of two
/// patterns that match a path (so with as many segments), the greater (a literal at the first
/// segment where they differ) is the one go-swagger's router takes. The patterns have far fewer
/// than 64 segments.
fn literals(pattern: &str) -> u64 {
    pattern
        .split('/')
        .take(64)
        .enumerate()
        .filter(|(_, seg)| *seg != "{}")
        .fold(0, |bits, (i, _)| bits | 1 << (63 - i))
}

/// The parameters of `path` when it matches `pattern` segment by segment (a `{}` segment takes
/// any non-empty segment). Every request tries every route, so a mismatch allocates nothing:
/// the bytes are compared in place and the parameters decoded only once the whole path matches.
fn match_pattern(pattern: &str, path: &str) -> Option<Vec<String>> {
    if !segments_match(pattern, path) {
        return None;
    }
    Some(
        pattern
            .split('/')
            .zip(path.split('/'))
            .filter(|(w, _)| *w == "{}")
            .map(|(_, g)| percent_decode(g))
            .collect(),
    )
}

/// Whether `path` has as many `/`-separated segments as `pattern` and each equals its
/// pattern segment, or is non-empty where the pattern segment is exactly `{}`. Both are walked
/// as bytes, a segment at a time, so nothing is allocated (`str::split` costs a searcher set-up
/// per segment, which the router paid for every candidate route).
fn segments_match(pattern: &str, path: &str) -> bool {
    let (mut want, mut got) = (pattern.as_bytes(), path.as_bytes());
    loop {
        let (w, w_rest) = first_segment(want);
        let (g, g_rest) = first_segment(got);
        if !(w == g || (w == b"{}" && !g.is_empty())) {
            return false;
        }
        match (w_rest, g_rest) {
            (None, None) => return true,
            (Some(w_rest), Some(g_rest)) => (want, got) = (w_rest, g_rest),
            _ => return false,
        }
    }
}

/// The bytes before the first `/`, and what follows that `/` (`None` when there is none).
fn first_segment(bytes: &[u8]) -> (&[u8], Option<&[u8]>) {
    match bytes.iter().position(|&b| b == b'/') {
        Some(at) => (&bytes[..at], Some(&bytes[at + 1..])),
        None => (bytes, None),
    }
}

/// The first two segments of `path` (`/v1/schema` of `/v1/schema/A/shards`), or all of it. Every
/// pattern's first two segments are literal, so only a pattern that begins with the path's head
/// (then ends or goes on with `/`) can match: `route` compares the others no further.
fn head(path: &str) -> &str {
    match path.match_indices('/').nth(2) {
        Some((at, _)) => &path[..at],
        None => path,
    }
}

/// Spec 2.1 step 2: the operation for `method` on `path`, or Weaviate's 404/405. One trailing `/`
/// is ignored for matching; the 404 names the path as sent.
pub fn route(method: &str, path: &str) -> Result<Matched, Error> {
    let trimmed = if path.len() > 1 {
        path.strip_suffix('/').unwrap_or(path)
    } else {
        path
    };
    // A pattern without parameters that equals the path beats every other match (all its
    // segments are literal), and the sorted table finds it by binary search.
    if let Ok(i) = ROUTES.binary_search_by(|r| r.pattern.cmp(trimmed)) {
        if !ROUTES[i].pattern.contains("{}") {
            return allowed(&ROUTES[i], method, Vec::new());
        }
    }
    // The table is sorted, so the patterns that begin with the path's head are one run of it.
    let head = head(trimmed);
    let first = ROUTES.partition_point(|r| r.pattern < head);
    let best = ROUTES[first..]
        .iter()
        .take_while(|r| r.pattern.starts_with(head))
        .filter(|r| matches!(r.pattern.as_bytes().get(head.len()), None | Some(b'/')))
        .filter_map(|r| match_pattern(r.pattern, trimmed).map(|params| (r, params)))
        .max_by_key(|(r, _)| literals(r.pattern));
    match best {
        Some((r, params)) => allowed(r, method, params),
        None => Err(Error::RouteNotFound(path.to_owned())),
    }
}

/// The operation of `method` on the matched route `r`, or Weaviate's 405.
fn allowed(r: &Route, method: &str, params: Vec<String>) -> Result<Matched, Error> {
    match r.methods.iter().find(|(m, _)| *m == method) {
        Some((_, op)) => Ok(Matched { op: *op, params }),
        None => Err(Error::MethodNotAllowed {
            method: method.to_owned(),
            allowed: r.methods.iter().map(|(m, _)| *m).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_pattern_is_the_segment_by_segment_comparison() {
        // The former definition: both split into segments, equal counts, then compared.
        fn reference(pattern: &str, path: &str) -> Option<Vec<String>> {
            let want: Vec<&str> = pattern.split('/').collect();
            let got: Vec<&str> = path.split('/').collect();
            if want.len() != got.len() {
                return None;
            }
            let mut params = Vec::new();
            for (w, g) in want.iter().zip(&got) {
                if *w == "{}" {
                    if g.is_empty() {
                        return None;
                    }
                    params.push(percent_decode(g));
                } else if w != g {
                    return None;
                }
            }
            Some(params)
        }
        let paths = [
            "",
            "/",
            "/v1",
            "/v1/",
            "/v1/schema",
            "/v1/schema/x",
            "/v1/schema/x/",
            "/v1/schema//shards",
            "/v1/schema/A%20b/shards",
            "/v1/users/db/%3Cx%3E",
            "/v1/users/db",
            "/v1/objects/C/id/references/p",
            "/v1/authz/roles/r/has-permission",
            "v1/schema",
            "/v1/schema/x/shards/y",
            "//",
        ];
        for r in ROUTES {
            for path in paths {
                assert_eq!(match_pattern(r.pattern, path), reference(r.pattern, path), "{} {path}", r.pattern);
            }
        }
    }

    #[test]
    fn the_literal_bits_order_patterns_as_the_segment_lists_did() {
        // The former key: one bool per segment, compared as lists.
        let list = |p: &str| p.split('/').map(|seg| seg != "{}").collect::<Vec<bool>>();
        let segments = |p: &str| p.split('/').count();
        let mut compared = 0;
        for a in ROUTES {
            for b in ROUTES.iter().filter(|b| segments(b.pattern) == segments(a.pattern)) {
                let (old, new) = (list(a.pattern).cmp(&list(b.pattern)), literals(a.pattern).cmp(&literals(b.pattern)));
                assert_eq!(old, new, "{} against {}", a.pattern, b.pattern);
                compared += usize::from(old != std::cmp::Ordering::Equal);
            }
        }
        assert!(compared > 100, "only {compared} ordered pairs");
    }

    #[test]
    fn the_head_filter_changes_no_routing_decision() {
        // Without the filter: every route tried, as before it.
        fn unfiltered(method: &str, path: &str) -> Result<Matched, Error> {
            let trimmed = if path.len() > 1 {
                path.strip_suffix('/').unwrap_or(path)
            } else {
                path
            };
            let best = ROUTES
                .iter()
                .filter_map(|r| match_pattern(r.pattern, trimmed).map(|params| (r, params)))
                .max_by_key(|(r, _)| literals(r.pattern));
            match best {
                Some((r, params)) => match r.methods.iter().find(|(m, _)| *m == method) {
                    Some((_, op)) => Ok(Matched { op: *op, params }),
                    None => Err(Error::MethodNotAllowed {
                        method: method.to_owned(),
                        allowed: r.methods.iter().map(|(m, _)| *m).collect(),
                    }),
                },
                None => Err(Error::RouteNotFound(path.to_owned())),
            }
        }
        let mut paths = vec![
            "".to_owned(),
            "/".to_owned(),
            "//".to_owned(),
            "/v1/".to_owned(),
            "/v2/schema".to_owned(),
        ];
        for r in ROUTES {
            for fill in ["x", "validate", "own-info", "db", "A%20b", ""] {
                let path = r.pattern.replace("{}", fill);
                paths.extend([path.clone(), format!("{path}/"), format!("{path}/extra"), format!("{path}//")]);
                paths.push(path.trim_end_matches(|c| c != '/').to_owned());
            }
        }
        for path in &paths {
            for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] {
                assert_eq!(route(method, path), unfiltered(method, path), "{method} {path:?}");
            }
        }
    }

    #[test]
    fn every_pattern_begins_with_two_literal_segments_as_the_head_filter_assumes() {
        assert!(
            ROUTES.windows(2).all(|w| w[0].pattern < w[1].pattern),
            "ROUTES must stay sorted by pattern (bytewise) for `route`'s search"
        );
        for r in ROUTES {
            let literal_head = r.pattern.split('/').take(3).all(|seg| seg != "{}");
            assert!(literal_head, "{}: a parameter in the first two segments defeats `head`", r.pattern);
            assert_eq!(head(r.pattern), r.pattern.split('/').take(3).collect::<Vec<_>>().join("/"));
        }
        assert_eq!(head("/v1/schema/A/shards"), "/v1/schema");
        assert_eq!(head("/v1/schema"), "/v1/schema");
        assert_eq!(head("/v1"), "/v1");
        assert_eq!(head(""), "");
    }

    #[test]
    fn s2_1_router_ignores_one_trailing_slash_and_names_the_sent_path() {
        assert_eq!(route("GET", "/v1/meta/").map(|m| m.op), Ok(Op::Meta));
        assert_eq!(route("GET", "/v1/nope/"), Err(Error::RouteNotFound("/v1/nope/".into())));
        assert_eq!(
            route("PUT", "/v1/schema"),
            Err(Error::MethodNotAllowed {
                method: "PUT".into(),
                allowed: vec!["GET", "POST"]
            })
        );
        let m = route("GET", "/v1/users/db/%3Cx%3E").expect("a route");
        assert_eq!(m.params, vec!["<x>".to_owned()]);
    }

    #[test]
    fn s2_1_a_literal_segment_beats_a_parameter_whatever_the_table_order() {
        assert_eq!(
            route("POST", "/v1/objects/validate").map(|m| m.op),
            Ok(Op::NotEmulated("/v1/objects/validate"))
        );
        assert_eq!(
            route("GET", "/v1/objects/validate").map(|m| m.op),
            Err(Error::MethodNotAllowed {
                method: "GET".into(),
                allowed: vec!["POST"]
            })
        );
        assert_eq!(route("GET", "/v1/objects/some-id").map(|m| m.op), Ok(Op::ObjectGetById));
        assert_eq!(route("GET", "/v1/users/own-info").map(|m| m.op), Ok(Op::OwnInfo));
        assert_eq!(route("GET", "/v1/users/db/own-info").map(|m| m.op), Ok(Op::DbUserGet));
    }

    #[test]
    fn s2_1_every_documented_operation_is_routed_and_an_undocumented_one_is_not() {
        // Documented in v1.38.11's OpenAPI document but not served: routed, so that it is
        // authenticated before the 501 (Weaviate authenticates before its handler).
        for (method, path, pattern) in [
            ("GET", "/v1/backups/filesystem", "/v1/backups/{backend}"),
            ("POST", "/v1/batch/objects", "/v1/batch/objects"),
            ("HEAD", "/v1/schema/A/tenants/t1", "/v1/schema/{className}/tenants/{tenantName}"),
            ("PUT", "/v1/objects/some-id", "/v1/objects/{id}"),
            ("POST", "/v1/authz/roles/r/add-permissions", "/v1/authz/roles/{id}/add-permissions"),
        ] {
            assert_eq!(route(method, path).map(|m| m.op), Ok(Op::NotEmulated(pattern)), "{method} {path}");
        }
        assert_eq!(route("GET", "/v1/backupz"), Err(Error::RouteNotFound("/v1/backupz".into())));
        assert_eq!(
            route("GET", "/v1/batch/objects").map(|m| m.op),
            Err(Error::MethodNotAllowed {
                method: "GET".into(),
                allowed: vec!["DELETE", "POST"]
            })
        );
    }
}
