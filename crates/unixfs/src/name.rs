//! The one rule for entry names, in both directions: what `bucket add` stores and what a DAG
//! from a stranger (a CAR, a gateway, a remote) may bring.
//!
//! A name becomes a file name on disk (`get`, `unpack`), a catalog path and a line of terminal
//! output, so it must be a single, printable path component. Kubo itself accepts more (any
//! UTF-8 without `/`); such DAGs can still be hashed, listed by CID and re-exported as CARs,
//! but ipfs-kit does not mount or unpack them.

/// The longest name, in bytes: `NAME_MAX` on Linux and macOS.
pub const MAX_NAME_BYTES: usize = 255;

/// Why a name was refused.
pub fn check_name(name: &str) -> Result<(), &'static str> {
    match name {
        "" => Err("empty name"),
        "." | ".." => Err("'.' or '..' as a name"),
        n if n.contains('/') => Err("'/' in a name"),
        n if n.contains('\0') => Err("NUL in a name"),
        n if n.chars().any(char::is_control) => Err("a control character in a name"),
        n if n.len() > MAX_NAME_BYTES => Err("a name longer than 255 bytes"),
        _ => Ok(()),
    }
}

/// `text` with control characters escaped (`\n`, `\t`, `\x1b`, `\u{9b}`), for terminal output:
/// a name from a CAR must not be able to move the cursor, set the title or change colours.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() || c == '\\') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x80 && c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["a", "ok.txt", "ünï code", " lead", &"x".repeat(255)] {
            assert_eq!(check_name(ok), Ok(()), "{ok:?}");
        }
        for bad in
            ["", ".", "..", "a/b", "a\0", "a\nb", "tab\t", "bel\x07", "\x1b]0;t\x07", "c1\u{9b}", &"x".repeat(256)]
        {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_controls("plain/ü"), "plain/ü");
        assert_eq!(escape_controls("a\nb\t\x1b]0;x\x07\u{9b}\\"), "a\\nb\\t\\x1b]0;x\\x07\\u{9b}\\\\");
        assert!(!escape_controls("\x1b[31m").chars().any(char::is_control));
    }
}
