//! What answer a request asks for: a raw block, a CAR (and which blocks in it), or UnixFS
//! deserialised, from `?format=` and the `Accept` header (the trustless gateway spec: `format`
//! wins over `Accept`, and `car-*` URL parameters over `Accept` parameters).

use crate::headers::Reject;

/// The kind of answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Want {
    Raw,
    Car(CarParams),
    /// Files, directory listings and `index.html` (the path gateway).
    Deserialized,
}

/// Which blocks a CAR answer holds (`dag-scope`, `entity-bytes`), and whether blocks met twice
/// are sent twice (`dups`). The order is always `dfs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarParams {
    pub scope: DagScope,
    pub bytes: Option<EntityBytes>,
    pub dups: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DagScope {
    Block,
    Entity,
    All,
}

impl DagScope {
    pub fn name(self) -> &'static str {
        match self {
            DagScope::Block => "block",
            DagScope::Entity => "entity",
            DagScope::All => "all",
        }
    }
}

/// `entity-bytes=from:to`: inclusive byte offsets, negative ones counted from the end, `to`
/// `None` for `*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityBytes {
    pub from: i64,
    pub to: Option<i64>,
}

impl EntityBytes {
    /// The half-open byte range `[start, end)` this names in an entity of `size` bytes; `None`
    /// when it is empty there.
    pub fn resolve(self, size: u64) -> Option<(u64, u64)> {
        let size = size as i128;
        let at = |v: i64| if v < 0 { (size + v as i128).max(0) } else { v as i128 };
        let start = at(self.from);
        let end = match self.to {
            None => size,
            Some(to) => (at(to) + 1).min(size),
        };
        (start < end && start < size).then_some((start as u64, end as u64))
    }

    pub fn spelled(self) -> String {
        match self.to {
            None => format!("{}:*", self.from),
            Some(to) => format!("{}:{to}", self.from),
        }
    }
}

/// The query parameters, percent-decoded (`+` is a space, as in forms).
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_component(k), decode_component(v))
        })
        .collect()
}

fn decode_component(s: &str) -> String {
    let s = s.replace('+', " ");
    percent_encoding::percent_decode_str(&s).decode_utf8_lossy().into_owned()
}

fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Formats of the path gateway spec this server does not produce (it converts no codec).
const NOT_SERVED: &[&str] = &["dag-json", "dag-cbor", "json", "cbor", "tar", "ipns-record"];

/// Media types of those formats, as `Accept` names them.
const NOT_SERVED_TYPES: &[&str] = &[
    "application/vnd.ipld.dag-json",
    "application/vnd.ipld.dag-cbor",
    "application/json",
    "application/cbor",
    "application/x-tar",
    "application/vnd.ipfs.ipns-record",
];

/// Decides the answer. `Err` is 400 for a malformed parameter and 406 for a format or CAR
/// variant this server does not produce.
pub fn negotiate(pairs: &[(String, String)], accept: Option<&str>) -> Result<Want, Reject> {
    let from_accept = accept.map(parse_accept).transpose()?.flatten();
    let base = match param(pairs, "format") {
        Some("raw") => Want::Raw,
        Some("car") => Want::Car(CarParams { scope: DagScope::All, bytes: None, dups: false }),
        Some(f) if NOT_SERVED.contains(&f) => {
            return Err(Reject::not_acceptable(format!(
                "format={f} is not served here: ask for format=raw or format=car and convert on your side"
            )));
        }
        Some(f) => return Err(Reject::bad_request(format!("unknown format {f:?} (expected raw or car)"))),
        None => match &from_accept {
            Some(want) => want.clone(),
            None => Want::Deserialized,
        },
    };
    let Want::Car(mut car) = base else {
        return Ok(base);
    };
    // Accept parameters first, then the URL's, which win.
    if let Some(Want::Car(accepted)) = &from_accept {
        car.dups = accepted.dups;
    }
    if let Some(v) = param(pairs, "car-version")
        && v != "1"
    {
        return Err(Reject::not_acceptable(format!("car-version={v} is not served: only CARv1")));
    }
    if let Some(o) = param(pairs, "car-order")
        && !matches!(o, "dfs" | "unk")
    {
        return Err(Reject::not_acceptable(format!("car-order={o} is not served: only dfs")));
    }
    match param(pairs, "car-dups") {
        None => {}
        Some("y") => car.dups = true,
        Some("n") => car.dups = false,
        Some(d) => return Err(Reject::bad_request(format!("car-dups must be y or n, not {d:?}"))),
    }
    car.scope = match param(pairs, "dag-scope") {
        None | Some("all") => DagScope::All,
        Some("entity") => DagScope::Entity,
        Some("block") => DagScope::Block,
        Some(s) => return Err(Reject::bad_request(format!("dag-scope must be block, entity or all, not {s:?}"))),
    };
    if let Some(spec) = param(pairs, "entity-bytes") {
        car.bytes = Some(parse_entity_bytes(spec)?);
        car.scope = DagScope::Entity;
    }
    Ok(Want::Car(car))
}

fn parse_entity_bytes(spec: &str) -> Result<EntityBytes, Reject> {
    let bad = || Reject::bad_request(format!("entity-bytes must be from:to (integers, to may be *), not {spec:?}"));
    let (from, to) = spec.split_once(':').ok_or_else(bad)?;
    let from: i64 = from.parse().map_err(|_| bad())?;
    let to = match to {
        "*" => None,
        n => Some(n.parse::<i64>().map_err(|_| bad())?),
    };
    if let Some(to) = to
        && from >= 0
        && to >= 0
        && from > to
    {
        return Err(Reject::bad_request(format!("entity-bytes {spec:?}: from is after to")));
    }
    Ok(EntityBytes { from, to })
}

/// The most preferred answer `Accept` allows, `None` for "anything" (deserialised), or 406
/// when it names only formats this server does not produce.
fn parse_accept(accept: &str) -> Result<Option<Want>, Reject> {
    let mut ranges: Vec<(f32, usize, &str)> = Vec::new();
    for (i, range) in accept.split(',').enumerate() {
        let q = range
            .split(';')
            .skip(1)
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if q > 0.0 {
            ranges.push((q, i, range.trim()));
        }
    }
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut only_unserved = false;
    for (_, _, range) in ranges {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let params: Vec<(String, String)> = parts
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().trim_matches('"').to_ascii_lowercase()))
            .collect();
        let get = |key: &str| params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        match media.as_str() {
            "application/vnd.ipld.raw" => return Ok(Some(Want::Raw)),
            "application/vnd.ipld.car" => {
                let version_ok = get("version").is_none_or(|v| v == "1");
                let order_ok = get("order").is_none_or(|o| o == "dfs" || o == "unk");
                let dups = match get("dups") {
                    None | Some("n") => Some(false),
                    Some("y") => Some(true),
                    Some(_) => None,
                };
                match dups {
                    Some(dups) if version_ok && order_ok => {
                        return Ok(Some(Want::Car(CarParams { scope: DagScope::All, bytes: None, dups })));
                    }
                    _ => only_unserved = true,
                }
            }
            m if NOT_SERVED_TYPES.contains(&m) => only_unserved = true,
            _ => return Ok(None),
        }
    }
    if only_unserved {
        return Err(Reject::not_acceptable(
            "none of the formats in Accept is served here: application/vnd.ipld.raw, \
             application/vnd.ipld.car (version=1, order=dfs) or a deserialised answer",
        ));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn want(query: &str, accept: Option<&str>) -> Result<Want, Reject> {
        negotiate(&query_pairs(query), accept)
    }

    fn car(scope: DagScope, bytes: Option<EntityBytes>, dups: bool) -> Want {
        Want::Car(CarParams { scope, bytes, dups })
    }

    #[test]
    fn format_wins_over_accept_and_url_car_parameters_over_accept_ones() {
        assert_eq!(want("format=raw", Some("application/vnd.ipld.car")).unwrap(), Want::Raw);
        assert_eq!(want("", Some("application/vnd.ipld.car; dups=y")).unwrap(), car(DagScope::All, None, true));
        assert_eq!(
            want("car-dups=n", Some("application/vnd.ipld.car; version=1; order=dfs; dups=y")).unwrap(),
            car(DagScope::All, None, false)
        );
        assert_eq!(want("", Some("text/html,*/*;q=0.8")).unwrap(), Want::Deserialized);
        assert_eq!(want("", None).unwrap(), Want::Deserialized);
    }

    #[test]
    fn accept_is_read_by_preference() {
        let accept = "application/vnd.ipld.car;order=foo, application/vnd.ipld.raw;q=0.5";
        assert_eq!(want("", Some(accept)).unwrap(), Want::Raw);
        assert_eq!(
            want("", Some("application/vnd.ipld.raw;q=0.1, application/vnd.ipld.car")).unwrap(),
            car(DagScope::All, None, false)
        );
    }

    #[test]
    fn unserved_formats_are_406_and_bad_parameters_400() {
        for (q, a) in [
            ("format=dag-json", None),
            ("", Some("application/vnd.ipld.dag-json")),
            ("", Some("application/vnd.ipld.car; version=2")),
            ("format=car&car-version=2", None),
            ("format=car&car-order=weird", None),
        ] {
            assert_eq!(want(q, a).unwrap_err().status, 406, "{q} {a:?}");
        }
        for q in [
            "format=nope",
            "format=car&dag-scope=most",
            "format=car&entity-bytes=1",
            "format=car&entity-bytes=9:3",
            "format=car&car-dups=maybe",
        ] {
            assert_eq!(want(q, None).unwrap_err().status, 400, "{q}");
        }
    }

    #[test]
    fn entity_bytes_imply_entity_scope_and_resolve_like_ranges() {
        let w = want("format=car&entity-bytes=-1024:*&dag-scope=all", None).unwrap();
        assert_eq!(w, car(DagScope::Entity, Some(EntityBytes { from: -1024, to: None }), false));
        let eb = |from, to| EntityBytes { from, to };
        assert_eq!(eb(0, None).resolve(10), Some((0, 10)));
        assert_eq!(eb(2, Some(4)).resolve(10), Some((2, 5)));
        assert_eq!(eb(-3, None).resolve(10), Some((7, 10)));
        assert_eq!(eb(-30, None).resolve(10), Some((0, 10)));
        assert_eq!(eb(4, Some(-3)).resolve(10), Some((4, 8)));
        assert_eq!(eb(0, Some(99)).resolve(10), Some((0, 10)));
        assert_eq!(eb(10, None).resolve(10), None);
        assert_eq!(eb(5, Some(-8)).resolve(10), None);
    }
}
