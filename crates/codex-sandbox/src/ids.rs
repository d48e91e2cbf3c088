//! Opaque identifiers: GraphQL node ids (`I_kwDO…`, `PVT_kwDO…`) and pagination cursors. Both are
//! URL-safe base64 of a short text, so they look like GitHub's and decode back without a table.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Unpadded URL-safe base64.
pub(crate) fn b64_encode(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let idx = (n >> (18 - 6 * i)) & 63;
            out.push(char::from(ALPHABET[idx as usize]));
        }
    }
    out
}

/// Inverse of [`b64_encode`]; `None` on any character outside the alphabet.
pub(crate) fn b64_decode(input: &str) -> Option<Vec<u8>> {
    let mut vals = Vec::with_capacity(input.len());
    for c in input.bytes() {
        let v = ALPHABET.iter().position(|a| *a == c)?;
        vals.push(u32::try_from(v).ok()?);
    }
    let mut out = Vec::with_capacity(vals.len() * 3 / 4);
    for chunk in vals.chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut n = 0u32;
        for (i, v) in chunk.iter().enumerate() {
            n |= v << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len() - 1]);
    }
    Some(out)
}

/// A node id: `prefix` + base64 of `payload`.
pub(crate) fn node_id(prefix: &str, payload: &str) -> String {
    format!("{prefix}{}", b64_encode(payload.as_bytes()))
}

/// The payload of a node id made by [`node_id`] with this prefix.
pub(crate) fn parse_node_id(prefix: &str, id: &str) -> Option<String> {
    let rest = id.strip_prefix(prefix)?;
    String::from_utf8(b64_decode(rest)?).ok()
}

pub(crate) const ISSUE: &str = "I_kwDO";
pub(crate) const PULL: &str = "PR_kwDO";
pub(crate) const DRAFT: &str = "DI_lADO";
pub(crate) const PROJECT: &str = "PVT_kwDO";
pub(crate) const PROJECT_ITEM: &str = "PVTI_lADO";
pub(crate) const REPO: &str = "R_kgDO";
pub(crate) const USER: &str = "U_kgDO";
pub(crate) const ORG: &str = "O_kgDO";
pub(crate) const BOT: &str = "BOT_kgDO";
pub(crate) const LABEL: &str = "LA_kwDO";
pub(crate) const MILESTONE: &str = "MI_kwDO";

/// A list cursor: the sort key and the issue number of the last (or first) item seen.
pub(crate) fn encode_cursor(key: i64, number: u32) -> String {
    b64_encode(format!("cursor:v2:{key}:{number}").as_bytes())
}

pub(crate) fn decode_cursor(cursor: &str) -> Option<(i64, u32)> {
    let text = String::from_utf8(b64_decode(cursor)?).ok()?;
    let rest = text.strip_prefix("cursor:v2:")?;
    let (k, n) = rest.rsplit_once(':')?;
    Some((k.parse().ok()?, n.parse().ok()?))
}

/// Offset cursors for GraphQL connections (`endCursor`).
pub(crate) fn encode_offset(offset: usize) -> String {
    b64_encode(format!("offset:{offset}").as_bytes())
}

pub(crate) fn decode_offset(cursor: &str) -> Option<usize> {
    let text = String::from_utf8(b64_decode(cursor)?).ok()?;
    text.strip_prefix("offset:")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_every_length() {
        for len in 0..20 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(b64_decode(&b64_encode(&data)).unwrap(), data);
        }
        assert_eq!(b64_encode(b"Man"), "TWFu");
        assert!(b64_decode("T").is_none());
        assert!(b64_decode("a+b").is_none());
    }

    #[test]
    fn cursors_and_ids_round_trip() {
        let c = encode_cursor(-1_700_000_000, 42);
        assert_eq!(decode_cursor(&c), Some((-1_700_000_000, 42)));
        assert_eq!(decode_cursor("garbage!"), None);
        let id = node_id(ISSUE, "100001:7");
        assert!(id.starts_with("I_kwDO"));
        assert_eq!(parse_node_id(ISSUE, &id).as_deref(), Some("100001:7"));
        assert_eq!(parse_node_id(PULL, &id), None);
        assert_eq!(decode_offset(&encode_offset(250)), Some(250));
    }
}
