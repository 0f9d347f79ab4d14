//! Function globs: `*` any run of characters (`::` included), `?` any one character,
//! everything else itself. The report's `[[suppress]] function` and the in-test API's
//! `Leaks::ignoring` read them the same way.

/// Whether `pattern` (`*` any run, `?` any one character) matches all of `text`.
/// On a mismatch only the last `*` is retried, one character further: at worst
/// O(pattern x text), without recursion.
pub fn glob_matches(pattern: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    // The last `*` seen, and the text position it is currently taken to end at.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}
