//! Monitor answers fitted to GDB's console: lines of at most [`CONSOLE_WIDTH`] columns.
//!
//! GDB prints a monitor command's output as it comes, and a terminal folds a long line at its
//! own edge, which breaks a table's columns. A longer line is wrapped at blanks here instead:
//! its continuation lines are indented to where the line's last column starts (after its last
//! run of two or more blanks), so a table's description column stays a column; a line without
//! columns continues four columns in from its own indentation. Pure text, no protocol.

/// The width monitor answers are fitted to: a classic 80-column terminal.
pub const CONSOLE_WIDTH: usize = 80;

/// `text` with every line fitted to `width` columns (characters, not bytes: `×` is one).
pub fn fit(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for line in text.lines() {
        fit_line(line.trim_end(), width, &mut lines);
    }
    lines
}

/// Where the last column starts among the first `limit` characters: just after the last run of
/// two or more blanks that follows some text.
fn last_column(chars: &[char], limit: usize) -> Option<usize> {
    let limit = limit.min(chars.len());
    (2..limit)
        .rev()
        .find(|&i| chars[i] != ' ' && chars[i - 1] == ' ' && chars[i - 2] == ' ')
        .filter(|&i| chars[..i - 2].iter().any(|&c| c != ' '))
}

fn fit_line(line: &str, width: usize, out: &mut Vec<String>) {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= width {
        out.push(line.to_string());
        return;
    }
    let lead = chars.iter().take_while(|&&c| c == ' ').count();
    // Continuation lines need room of their own: an indent past half the width is not kept.
    let indent = last_column(&chars, width)
        .filter(|&c| c <= width / 2)
        .unwrap_or((lead + 4).min(width / 2));
    let mut rest: &[char] = &chars;
    let mut first = true;
    while !rest.is_empty() {
        let (prefix, room, keep) = if first {
            (0, width, indent)
        } else {
            (indent, width - indent, 0)
        };
        if rest.len() <= room {
            out.push(with_indent(prefix, rest));
            break;
        }
        // The last blank that fits, past the part a first line keeps whole (its columns).
        let cut = (keep + 1..=room)
            .rev()
            .find(|&i| rest[i] == ' ')
            .unwrap_or(room);
        out.push(with_indent(prefix, &rest[..cut]));
        rest = &rest[cut..];
        let blanks = rest.iter().take_while(|&&c| c == ' ').count();
        rest = &rest[blanks..];
        first = false;
    }
}

/// `text` as lines of at most `width` columns, words filled greedily (a word longer than a line
/// is cut).
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        let used = line.chars().count();
        if used > 0 && used + 1 + word.len() <= width {
            line.push(' ');
            line.extend(word.iter());
            continue;
        }
        if used > 0 {
            lines.push(std::mem::take(&mut line));
        }
        while word.len() > width {
            lines.push(word.drain(..width).collect());
        }
        line.extend(word.iter());
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn with_indent(indent: usize, chars: &[char]) -> String {
    let mut line = " ".repeat(indent);
    line.extend(chars.iter());
    line.truncate(line.trim_end().len());
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widest(lines: &[String]) -> usize {
        lines.iter().map(|l| l.chars().count()).max().unwrap_or(0)
    }

    #[test]
    fn short_lines_stay_as_they_are() {
        assert_eq!(fit("a  b\n\n  c", 80), ["a  b", "", "  c"]);
    }

    #[test]
    fn a_table_row_wraps_inside_its_last_column() {
        let row = "DBANK        1       dual bank, 2 × 256 KB in 2 × 128 pages of 2 KB, bank 2 at 0x0804_0000";
        let lines = fit(row, 80);
        assert!(widest(&lines) <= 80, "{lines:#?}");
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("DBANK        1       dual bank,"));
        let column = row.find("dual").unwrap();
        assert!(lines[1].starts_with(&" ".repeat(column)), "{lines:#?}");
        assert_eq!(
            lines.join(" ").split_whitespace().collect::<Vec<_>>(),
            row.split_whitespace().collect::<Vec<_>>(),
            "nothing lost"
        );
    }

    #[test]
    fn words_fill_lines() {
        assert_eq!(wrap_words("a bb ccc", 4), ["a bb", "ccc"]);
        assert_eq!(wrap_words("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap_words("", 4), [""]);
    }

    #[test]
    fn prose_continues_indented_and_long_words_are_cut() {
        let text = format!("  {}", "word ".repeat(40));
        let lines = fit(&text, 80);
        assert!(widest(&lines) <= 80, "{lines:#?}");
        assert!(lines[1].starts_with("      word"), "{lines:#?}");
        let long = "x".repeat(200);
        let lines = fit(&long, 80);
        assert!(widest(&lines) <= 80, "{lines:#?}");
        assert_eq!(lines.concat().trim().replace(' ', ""), long);
    }
}
