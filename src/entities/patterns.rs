//! Pattern entities: DATE, MONEY and PERCENT by rules over the tokens of the raw text.
//!
//! The tokenizer has already split `$1.13bn` into `$` `1.13bn`, `76%` into `76` `%` and kept
//! `Sept.9`, `26-FEB-1987` and `1,750` whole, so each rule is a short scan over token strings;
//! spans run from the first token's start byte to the last token's end byte. Covered:
//! dates (`Oct. 3`, `Sept.9`, `26 December 2004`, `December 26, 2004`, `January 2004`,
//! `26-FEB-1987`, `1996-08-22`, weekdays, `in 2004`, `the 1990s`), money (`$1.13bn`, `£600m`,
//! `US$5 million`, `1,750 dlrs per tonne`, `261bn roubles`) and percentages (`76%`, `8 pct`,
//! `3.5 per cent`). Relative dates ("last Friday") are out of scope.

use super::tokenize::Token;
use super::ByteSpan;

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const MONTH_ABBR: [&str; 13] = [
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "may",
];
const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const YEAR_PREPS: [&str; 14] = [
    "in", "since", "by", "until", "till", "from", "during", "before", "after", "early", "late",
    "mid", "of", "to",
];
const SCALES: [&str; 12] = [
    "million", "billion", "trillion", "thousand", "bn", "m", "mln", "bln", "tn", "k", "mn", "b",
];
const CURRENCY_WORDS: [&str; 27] = [
    "dlrs", "dlr", "dollars", "dollar", "pounds", "pound", "sterling", "stg", "euros", "euro",
    "yen", "yuan", "francs", "marks", "pence", "cents", "roubles", "rubles", "rupees", "pesos",
    "crowns", "kroner", "krona", "lire", "guilders", "won", "rand",
];
const CURRENCY_SYMBOLS: [&str; 6] = ["$", "£", "€", "¥", "₹", "₽"];
const CURRENCY_PREFIXES: [&str; 7] = ["US", "A", "C", "HK", "NZ", "S", "NT"];
const UNITS: [&str; 14] = [
    "tonne", "tonnes", "ton", "tons", "share", "barrel", "ounce", "kilo", "kg", "head", "year",
    "month", "week", "day",
];

/// Month index (0..12) of a month name or abbreviation (case-insensitive, optional period).
fn month(w: &str) -> Option<usize> {
    let w = w.strip_suffix('.').unwrap_or(w);
    if w.len() < 3 || w.len() > 9 || !w.is_ascii() {
        return None;
    }
    let l = w.to_ascii_lowercase();
    if let Some(i) = MONTHS.iter().position(|m| *m == l) {
        return Some(i);
    }
    MONTH_ABBR.iter().position(|m| *m == l).map(|i| match i {
        4..=6 => i + 1,
        7 | 8 => 8,
        12 => 4,
        i => i,
    })
}

fn all_digits(w: &str) -> bool {
    !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit())
}

/// A day of the month: `3`, `03`, `3rd`, `21st`.
fn day(w: &str) -> bool {
    let d = w.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &w[d.len()..];
    all_digits(d)
        && d.len() <= 2
        && d.parse::<u32>().is_ok_and(|n| (1..=31).contains(&n))
        && matches!(suffix, "" | "st" | "nd" | "rd" | "th")
}

fn year(w: &str) -> bool {
    all_digits(w) && w.len() == 4 && (w.starts_with("19") || w.starts_with("20"))
}

/// A number token: digits with `,` and `.` inside, optionally followed by a scale suffix
/// (`1.13bn`, `600m`). Returns whether it is a plain number (no suffix).
fn number(w: &str) -> Option<bool> {
    let b = w.as_bytes();
    if !b.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let n = w
        .find(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.'))
        .unwrap_or(w.len());
    let (digits, suffix) = w.split_at(n);
    if digits.ends_with(['.', ',']) {
        return None;
    }
    if suffix.is_empty() {
        Some(true)
    } else if SCALES.contains(&suffix.to_ascii_lowercase().as_str()) {
        Some(false)
    } else {
        None
    }
}

struct Scan<'a> {
    text: &'a str,
    tokens: &'a [Token],
}

impl<'a> Scan<'a> {
    fn word(&self, i: usize) -> &'a str {
        self.tokens
            .get(i)
            .map_or("", |t| &self.text[t.start..t.end])
    }

    /// Tokens `i` and `i + 1` touch (no space between).
    fn glued(&self, i: usize) -> bool {
        match (self.tokens.get(i), self.tokens.get(i + 1)) {
            (Some(a), Some(b)) => a.end == b.start,
            _ => false,
        }
    }

    fn is(&self, i: usize, list: &[&str]) -> bool {
        let w = self.word(i);
        list.iter().any(|x| x.eq_ignore_ascii_case(w))
    }

    /// Skips an optional scale word after an amount.
    fn scale(&self, i: usize) -> usize {
        if self.is(i, &SCALES) && !self.word(i).eq_ignore_ascii_case("m") {
            i + 1
        } else {
            i
        }
    }

    fn percent(&self, i: usize) -> Option<usize> {
        number(self.word(i)).filter(|plain| *plain)?;
        let w = self.word(i + 1);
        if w == "%" || w.eq_ignore_ascii_case("pct") || w.eq_ignore_ascii_case("percent") {
            return Some(i + 2);
        }
        if w.eq_ignore_ascii_case("per") && self.word(i + 2).eq_ignore_ascii_case("cent") {
            return Some(i + 3);
        }
        None
    }

    fn money(&self, i: usize) -> Option<usize> {
        let mut j = i;
        if self.is(j, &CURRENCY_PREFIXES) && self.glued(j) && self.word(j + 1) == "$" {
            j += 1;
        }
        if CURRENCY_SYMBOLS.contains(&self.word(j)) {
            number(self.word(j + 1))?;
            return Some(self.scale(j + 2));
        }
        if j != i {
            return None;
        }
        number(self.word(i))?;
        let k = self.scale(i + 1);
        if !self.is(k, &CURRENCY_WORDS) {
            return None;
        }
        let mut end = k + 1;
        if self.is(end, &["per", "a", "an"]) && self.is(end + 1, &UNITS) {
            end += 2;
        }
        Some(end)
    }

    fn date(&self, i: usize) -> Option<usize> {
        let w = self.word(i);
        // "26-FEB-1987", "1996-08-22": one token.
        let parts: Vec<&str> = if w.len() >= 8 && w.contains('-') && w.is_ascii() {
            w.split('-').collect()
        } else {
            Vec::new()
        };
        if parts.len() == 3 {
            let dmy = day(parts[0]) && month(parts[1]).is_some() && all_digits(parts[2]);
            let iso =
                year(parts[0]) && parts[1].len() == 2 && all_digits(parts[1]) && day(parts[2]);
            if dmy || iso {
                return Some(i + 1);
            }
        }
        // "Sept.9", "Oct.3": month abbreviation glued to a day by a period.
        if let Some((m, d)) = w.split_once('.') {
            if month(m).is_some() && day(d) {
                return Some(i + 1);
            }
        }
        if let Some(m) = month(w) {
            let full = w.len() > 4 && !w.ends_with('.');
            let cap = w.starts_with(|c: char| c.is_ascii_uppercase());
            if !cap {
                return None;
            }
            // "Oct. 3", "December 26, 2004", "Oct 3 1987".
            if day(self.word(i + 1)) && !self.word(i + 2).starts_with('%') {
                let mut end = i + 2;
                if self.word(end) == "," && year(self.word(end + 1)) {
                    end += 2;
                } else if year(self.word(end)) {
                    end += 1;
                }
                return Some(end);
            }
            if year(self.word(i + 1)) {
                return Some(i + 2);
            }
            // A month name on its own; "May" and "March" only after a preposition.
            let ambiguous = m == 2 || m == 4;
            if full && (!ambiguous || (i > 0 && self.is(i - 1, &YEAR_PREPS))) {
                return Some(i + 1);
            }
            return None;
        }
        // "26 December 2004", "3rd October".
        if day(w) {
            if let Some(mw) = Some(self.word(i + 1)).filter(|m| month(m).is_some()) {
                if mw.starts_with(|c: char| c.is_ascii_uppercase()) {
                    return Some(if year(self.word(i + 2)) { i + 3 } else { i + 2 });
                }
            }
        }
        if WEEKDAYS.contains(&w) {
            return Some(i + 1);
        }
        // "in 2004", "since 1998", "the 1990s".
        if year(w) && i > 0 && self.is(i - 1, &YEAR_PREPS) && self.word(i + 1) != "%" {
            return Some(i + 1);
        }
        if w.len() == 5 && w.ends_with('s') && year(&w[..4]) {
            return Some(i + 1);
        }
        None
    }
}

/// Appends the pattern entities of `text` (tokenized as `tokens`) to `out`, sorted by start and
/// without overlaps.
pub fn find(text: &str, tokens: &[Token], out: &mut Vec<ByteSpan>) {
    let scan = Scan { text, tokens };
    let mut i = 0;
    while i < tokens.len() {
        let hit = scan
            .money(i)
            .map(|e| (e, "MONEY"))
            .or_else(|| scan.percent(i).map(|e| (e, "PERCENT")))
            .or_else(|| scan.date(i).map(|e| (e, "DATE")));
        match hit {
            Some((end, label)) if end > i => {
                out.push(ByteSpan {
                    start: tokens[i].start,
                    end: tokens[end - 1].end,
                    label,
                });
                i = end;
            }
            _ => i += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tokenize::tokenize;
    use super::*;

    fn found(text: &str) -> Vec<(&str, &'static str)> {
        let mut t = Vec::new();
        tokenize(text, &mut t);
        let mut out = Vec::new();
        find(text, &t, &mut out);
        out.iter()
            .map(|s| (&text[s.start..s.end], s.label))
            .collect()
    }

    #[test]
    fn bbc_money_and_percent() {
        assert_eq!(
            found("Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn (£600m) for the three months to December, from $639m year-earlier."),
            [("76%", "PERCENT"), ("$1.13bn", "MONEY"), ("£600m", "MONEY"), ("December", "DATE"), ("$639m", "MONEY")]
        );
        assert_eq!(
            found("Baikal - which bought the Yuganskneftegas production unit for $9.4bn (261bn roubles, £4.9bn)"),
            [("$9.4bn", "MONEY"), ("261bn roubles", "MONEY"), ("£4.9bn", "MONEY")]
        );
        assert_eq!(
            found("The market for full-track music downloads was worth just $20 million (£10.5 million) in 2004"),
            [("$20 million", "MONEY"), ("£10.5 million", "MONEY"), ("2004", "DATE")]
        );
        assert_eq!(
            found("The economy grew 3.7% in the third quarter while inflation rose 8 pct and costs 2.5 per cent."),
            [("3.7%", "PERCENT"), ("8 pct", "PERCENT"), ("2.5 per cent", "PERCENT")]
        );
        assert_eq!(
            found("Prices rose to 1,750 dlrs per tonne from US$5 million."),
            [("1,750 dlrs per tonne", "MONEY"), ("US$5 million", "MONEY")]
        );
    }

    #[test]
    fn dates() {
        assert_eq!(
            found("the foreign ministers on Sept.9 were thwarted; talks were suspended on Oct.3."),
            [("Sept.9", "DATE"), ("Oct.3", "DATE")]
        );
        assert_eq!(
            found("It rose by 4.7% since the tsunami hit on 26 December and on Oct. 3, 1987 and 26-FEB-1987"),
            [("4.7%", "PERCENT"), ("26 December", "DATE"), ("Oct. 3, 1987", "DATE"), ("26-FEB-1987", "DATE")]
        );
        assert_eq!(
            found("BRUSSELS 1996-08-22 The club said on Tuesday that in January 2004 it grew"),
            [
                ("1996-08-22", "DATE"),
                ("Tuesday", "DATE"),
                ("January 2004", "DATE")
            ]
        );
    }

    #[test]
    fn what_must_not_match() {
        // Modal "may", a name, plain counts and a bare year used as a number.
        assert!(found("Theresa May said it may rise. It lost 464,000 subscribers.").is_empty());
        assert!(found("TimeWarner also has to restate 2000 and 2003 results").is_empty());
        assert!(found("He scored 3 goals in 12 minutes").is_empty());
    }
}
