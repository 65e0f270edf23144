//! The boilerplate phrase lexicon used by the line rules ([`super::lines`]).
//!
//! Phrases are grouped by the rule that drops a line containing them and carry an anchor: a
//! `Whole` phrase must be the entire line (ignoring bullets and trailing punctuation), a `Start`
//! phrase must open the line, an `Any` phrase may occur anywhere. Every match must sit on word
//! boundaries. The lists describe site furniture in general (menus, calls to action, share bars,
//! cookie notices, button labels, credits); they are deliberately not tuned to any one site.
//! Matching runs one Aho-Corasick pass over the ASCII-lowercased line.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

/// The line rule a phrase belongs to; also the counter name in `stats.json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cat {
    /// Navigation, section menus, "read more", related-story headings.
    Nav,
    /// Calls to action: newsletter sign-up, subscriptions, donations, log-in, apps.
    Cta,
    /// Share and follow prompts, comment counters.
    Share,
    /// Cookie and policy notices.
    Policy,
    /// Button labels.
    Button,
    /// Bylines, photo credits, timestamps without text.
    Credit,
    /// Copyright lines.
    Copyright,
    /// User-configured extra phrases.
    Custom,
}

impl Cat {
    /// The rule name used in counters and drop reasons.
    pub fn rule(self) -> &'static str {
        match self {
            Cat::Nav => "navigation",
            Cat::Cta => "call_to_action",
            Cat::Share => "share_follow",
            Cat::Policy => "cookie_policy",
            Cat::Button => "button_label",
            Cat::Credit => "byline_credit",
            Cat::Copyright => "copyright",
            Cat::Custom => "custom_phrase",
        }
    }
}

/// Where a phrase must sit in the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// The phrase is the whole line.
    Whole,
    /// The line starts with the phrase.
    Start,
    /// The line starts with the phrase and reads as a label: no terminal punctuation, or at
    /// most four words. Keeps sentences such as "Updated figures showed ..." safe.
    Label,
    /// Anywhere in the line.
    Any,
}

use Anchor::{Any, Label, Start, Whole};
use Cat::*;

/// The built-in phrases.
const PHRASES: &[(&str, Cat, Anchor)] = &[
    // Navigation and related-content furniture.
    ("home", Nav, Whole),
    ("menu", Nav, Whole),
    ("main menu", Nav, Whole),
    ("search", Nav, Whole),
    ("sections", Nav, Whole),
    ("navigation", Nav, Whole),
    ("skip to content", Nav, Start),
    ("skip to main content", Nav, Start),
    ("skip to navigation", Nav, Start),
    ("jump to", Nav, Label),
    ("back to top", Nav, Whole),
    ("top of page", Nav, Whole),
    ("next article", Nav, Label),
    ("previous article", Nav, Label),
    ("next story", Nav, Label),
    ("previous story", Nav, Label),
    ("next page", Nav, Whole),
    ("show more", Nav, Whole),
    ("load more", Nav, Whole),
    ("see all", Nav, Label),
    ("view all", Nav, Label),
    ("more stories", Nav, Label),
    ("more news", Nav, Whole),
    ("latest news", Nav, Whole),
    ("latest stories", Nav, Whole),
    ("top stories", Nav, Whole),
    ("trending", Nav, Whole),
    ("trending now", Nav, Label),
    ("most read", Nav, Start),
    ("most popular", Nav, Start),
    ("most viewed", Nav, Start),
    ("most shared", Nav, Start),
    ("editor's picks", Nav, Start),
    ("editors picks", Nav, Start),
    ("you may also like", Nav, Start),
    ("you might also like", Nav, Start),
    ("you may be interested in", Nav, Start),
    ("recommended", Nav, Whole),
    ("recommended for you", Nav, Start),
    ("related", Nav, Whole),
    ("related stories", Nav, Start),
    ("related articles", Nav, Start),
    ("related content", Nav, Start),
    ("related topics", Nav, Start),
    ("related links", Nav, Start),
    ("related coverage", Nav, Start),
    ("related news", Nav, Start),
    ("more on this story", Nav, Start),
    ("more on this topic", Nav, Start),
    ("more from", Nav, Label),
    ("more in", Nav, Label),
    ("read more", Nav, Start),
    ("read next", Nav, Start),
    ("read also", Nav, Start),
    ("also read", Nav, Start),
    ("see also", Nav, Start),
    ("continue reading", Nav, Start),
    ("keep reading", Nav, Start),
    ("read the full story", Nav, Start),
    ("read full article", Nav, Start),
    ("listen to this article", Nav, Start),
    ("listen to article", Nav, Start),
    ("play video", Nav, Start),
    ("watch video", Nav, Start),
    ("watch now", Nav, Whole),
    ("advertisement", Nav, Start),
    ("advertising", Nav, Whole),
    ("sponsored", Nav, Whole),
    ("sponsored content", Nav, Start),
    ("paid content", Nav, Start),
    ("partner content", Nav, Start),
    ("scroll to continue", Nav, Any),
    ("story continues below", Nav, Any),
    ("article continues below", Nav, Any),
    ("tags", Nav, Label),
    ("topics", Nav, Whole),
    ("filed under", Nav, Start),
    ("page 1 of", Nav, Label),
    ("open in app", Nav, Label),
    ("min read", Nav, Any),
    ("minute read", Nav, Any),
    // Calls to action.
    ("sign up", Cta, Start),
    ("sign up for", Cta, Any),
    ("sign up to", Cta, Any),
    ("signup", Cta, Label),
    ("subscribe", Cta, Start),
    ("subscribe to", Cta, Any),
    ("subscribe now", Cta, Any),
    ("subscribers agree", Cta, Any),
    ("already a subscriber", Cta, Any),
    ("already have an account", Cta, Any),
    ("become a subscriber", Cta, Any),
    ("become a member", Cta, Any),
    ("become a supporter", Cta, Any),
    ("newsletter", Cta, Any),
    ("newsletters", Cta, Any),
    ("your inbox", Cta, Any),
    ("in your mailbox", Cta, Any),
    ("delivered to your", Cta, Any),
    ("donate", Cta, Label),
    ("donate now", Cta, Any),
    ("make a donation", Cta, Any),
    ("make a contribution", Cta, Any),
    ("contribute", Cta, Label),
    ("support us", Cta, Any),
    ("support our", Cta, Any),
    ("support independent", Cta, Any),
    ("support quality", Cta, Any),
    ("support journalism", Cta, Any),
    ("support the", Cta, Label),
    ("not ready to", Cta, Start),
    ("remind me later", Cta, Any),
    ("a message from", Cta, Start),
    ("dear reader", Cta, Start),
    ("dear readers", Cta, Start),
    ("join us", Cta, Label),
    ("join our", Cta, Label),
    ("log in", Cta, Label),
    ("login", Cta, Label),
    ("sign in", Cta, Label),
    ("register", Cta, Label),
    ("create an account", Cta, Any),
    ("create a free account", Cta, Any),
    ("get the app", Cta, Any),
    ("download the app", Cta, Any),
    ("download our app", Cta, Any),
    ("get our app", Cta, Any),
    ("free trial", Cta, Any),
    ("start your trial", Cta, Any),
    ("unlimited access", Cta, Any),
    ("unlock", Cta, Label),
    ("click here", Cta, Any),
    ("tap here", Cta, Any),
    ("thank you for reading", Cta, Any),
    ("thanks for reading", Cta, Any),
    ("thank you for your support", Cta, Any),
    ("enter your email", Cta, Any),
    ("email address", Cta, Any),
    ("unsubscribe", Cta, Any),
    ("got a tip", Cta, Label),
    ("got a story", Cta, Label),
    ("have a story", Cta, Label),
    ("contact us", Cta, Label),
    ("send us", Cta, Label),
    ("manage your subscription", Cta, Any),
    // Share and follow prompts.
    ("share", Share, Whole),
    ("share this", Share, Start),
    ("share on", Share, Label),
    ("share via", Share, Label),
    ("share article", Share, Start),
    ("share the story", Share, Start),
    ("share this article", Share, Any),
    ("share this story", Share, Any),
    ("copy link", Share, Start),
    ("link copied", Share, Start),
    ("follow us", Share, Start),
    ("follow us on", Share, Any),
    ("follow on", Share, Label),
    ("like us on", Share, Any),
    ("find us on", Share, Any),
    ("connect with us", Share, Any),
    ("facebook", Share, Whole),
    ("twitter", Share, Whole),
    ("whatsapp", Share, Whole),
    ("linkedin", Share, Whole),
    ("pinterest", Share, Whole),
    ("reddit", Share, Whole),
    ("instagram", Share, Whole),
    ("youtube", Share, Whole),
    ("telegram", Share, Whole),
    ("tiktok", Share, Whole),
    ("messenger", Share, Whole),
    ("email", Share, Whole),
    ("e-mail", Share, Whole),
    ("print", Share, Whole),
    ("comments", Share, Whole),
    ("comment", Share, Whole),
    ("leave a comment", Share, Start),
    ("add a comment", Share, Start),
    ("view comments", Share, Start),
    ("show comments", Share, Start),
    ("join the conversation", Share, Start),
    ("join the discussion", Share, Start),
    ("comments are closed", Share, Any),
    // Cookie and policy notices.
    ("cookie", Policy, Any),
    ("cookies", Policy, Any),
    ("privacy policy", Policy, Any),
    ("privacy notice", Policy, Any),
    ("cookie policy", Policy, Any),
    ("terms of use", Policy, Any),
    ("terms of service", Policy, Any),
    ("terms and conditions", Policy, Any),
    ("terms & conditions", Policy, Any),
    ("privacy settings", Policy, Any),
    ("privacy choices", Policy, Any),
    ("manage preferences", Policy, Any),
    ("manage consent", Policy, Any),
    ("accept all", Policy, Any),
    ("reject all", Policy, Any),
    ("do not sell", Policy, Any),
    ("personal information", Policy, Any),
    ("by continuing to", Policy, Any),
    ("you agree to", Policy, Any),
    ("this site uses", Policy, Any),
    ("this website uses", Policy, Any),
    ("we use", Policy, Label),
    ("recaptcha", Policy, Any),
    ("accessibility", Policy, Whole),
    ("sitemap", Policy, Whole),
    ("about us", Policy, Whole),
    ("contact", Policy, Whole),
    ("careers", Policy, Whole),
    ("advertise with us", Policy, Any),
    ("corrections", Policy, Whole),
    // Button labels.
    ("once", Button, Whole),
    ("monthly", Button, Whole),
    ("annual", Button, Whole),
    ("annually", Button, Whole),
    ("yearly", Button, Whole),
    ("continue", Button, Whole),
    ("cancel", Button, Whole),
    ("submit", Button, Whole),
    ("accept", Button, Whole),
    ("decline", Button, Whole),
    ("reject", Button, Whole),
    ("close", Button, Whole),
    ("ok", Button, Whole),
    ("okay", Button, Whole),
    ("got it", Button, Whole),
    ("dismiss", Button, Whole),
    ("learn more", Button, Whole),
    ("find out more", Button, Whole),
    ("more info", Button, Whole),
    ("maybe later", Button, Whole),
    ("not now", Button, Whole),
    ("no thanks", Button, Whole),
    ("no, thanks", Button, Whole),
    ("skip", Button, Whole),
    ("next", Button, Whole),
    ("previous", Button, Whole),
    ("back", Button, Whole),
    ("more", Button, Whole),
    ("save", Button, Whole),
    ("saved", Button, Whole),
    ("bookmark", Button, Whole),
    ("listen", Button, Whole),
    ("watch", Button, Whole),
    ("play", Button, Whole),
    ("pause", Button, Whole),
    ("expand", Button, Whole),
    ("collapse", Button, Whole),
    ("toggle", Button, Label),
    ("buy now", Button, Whole),
    ("shop now", Button, Whole),
    ("try it free", Button, Whole),
    ("payment methods", Button, Whole),
    ("loading", Button, Whole),
    ("open", Button, Whole),
    // Credits, bylines and timestamps.
    ("photo:", Credit, Start),
    ("photos:", Credit, Start),
    ("photograph:", Credit, Start),
    ("image:", Credit, Start),
    ("images:", Credit, Start),
    ("picture:", Credit, Start),
    ("pictured:", Credit, Start),
    ("illustration:", Credit, Start),
    ("credit:", Credit, Start),
    ("image credit", Credit, Label),
    ("photo credit", Credit, Label),
    ("image source", Credit, Label),
    ("image caption", Credit, Label),
    ("media caption", Credit, Label),
    ("getty images", Credit, Any),
    ("shutterstock", Credit, Any),
    ("file photo", Credit, Any),
    ("reporting by", Credit, Start),
    ("additional reporting by", Credit, Start),
    ("editing by", Credit, Start),
    ("written by", Credit, Label),
    ("compiled by", Credit, Label),
    ("published", Credit, Label),
    ("first published", Credit, Label),
    ("updated", Credit, Label),
    ("last updated", Credit, Label),
    ("posted", Credit, Label),
    ("posted on", Credit, Label),
    ("last modified", Credit, Label),
    ("staff writer", Credit, Any),
    ("staff reporter", Credit, Any),
    ("contributing writer", Credit, Any),
    ("about the author", Credit, Label),
    ("more by", Credit, Label),
    ("email the author", Credit, Start),
    ("contact the author", Credit, Start),
    ("follow the author", Credit, Start),
    // Copyright.
    ("\u{a9}", Copyright, Any),
    ("copyright", Copyright, Any),
    ("all rights reserved", Copyright, Any),
    ("(c) 19", Copyright, Start),
    ("(c) 20", Copyright, Start),
];

/// A phrase hit in one line.
#[derive(Clone, Copy, Debug)]
pub struct Hit {
    /// The rule of the phrase.
    pub cat: Cat,
    /// Index of the phrase in the automaton (distinct hits are counted by it).
    pub pattern: u32,
}

/// The compiled lexicon.
#[derive(Clone, Debug)]
pub struct Lexicon {
    ac: AhoCorasick,
    meta: Vec<(Cat, Anchor, bool)>,
}

impl Lexicon {
    /// Builds the automaton from the built-in phrases plus `extra` (lowercase, matched anywhere
    /// on word boundaries, rule `custom_phrase`).
    pub fn new(extra: &[String]) -> crate::Result<Lexicon> {
        let mut pats: Vec<String> = Vec::with_capacity(PHRASES.len() + extra.len());
        let mut meta = Vec::with_capacity(PHRASES.len() + extra.len());
        for (p, c, a) in PHRASES {
            pats.push((*p).to_string());
            meta.push((*c, *a, ends_in_word(p)));
        }
        for p in extra {
            let p = p.trim().to_ascii_lowercase();
            pats.push(p.clone());
            meta.push((Custom, Any, ends_in_word(&p)));
        }
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            // A full DFA: one table lookup per byte (the phrase set is small, so its memory
            // is modest); the matches are the same as with the default NFA.
            .kind(Some(AhoCorasickKind::DFA))
            .build(&pats)
            .map_err(|e| {
                crate::Error::Config(format!(
                    "line_rules.extra_phrases: cannot build the phrase matcher ({e}); remove unusual entries"
                ))
            })?;
        Ok(Lexicon { ac, meta })
    }

    /// Calls `f` for each phrase hit in `lower` (an ASCII-lowercased line) whose anchor and word
    /// boundaries hold. `core` is the byte range of the line without leading bullets and
    /// trailing punctuation; `label` says whether the line reads as a label (see [`Anchor::Label`]).
    pub fn hits(&self, lower: &[u8], core: (usize, usize), label: bool, mut f: impl FnMut(Hit)) {
        for m in self.ac.find_overlapping_iter(lower) {
            let idx = m.pattern().as_usize();
            let Some(&(cat, anchor, word_end)) = self.meta.get(idx) else {
                continue;
            };
            let (s, e) = (m.start(), m.end());
            let starts_ok = s == 0 || !is_word_byte(lower[s - 1]);
            let ends_ok = !word_end || e == lower.len() || !is_word_byte(lower[e]);
            if !(starts_ok && ends_ok) {
                continue;
            }
            let ok = match anchor {
                Any => true,
                Start => s == core.0,
                Label => label && s == core.0,
                Whole => s == core.0 && e >= core.1,
            };
            if ok {
                f(Hit {
                    cat,
                    pattern: idx as u32,
                });
            }
        }
    }
}

/// True when the phrase ends in a letter or digit, so the match must end on a word boundary.
fn ends_in_word(p: &str) -> bool {
    p.as_bytes().last().is_some_and(|b| is_word_byte(*b))
}

/// Letters, digits and any non-ASCII byte count as word characters.
#[inline]
pub fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cats(line: &str) -> Vec<Cat> {
        let lx = Lexicon::new(&[]).unwrap();
        let lower = line.to_ascii_lowercase();
        let mut v = Vec::new();
        let end = lower.trim_end_matches(['.', '!', '?', ':']).len();
        lx.hits(lower.as_bytes(), (0, end), true, |h| v.push(h.cat));
        v
    }

    #[test]
    fn word_boundaries_hold() {
        // "Shares" is not "share"; "subscribers" is not "subscribe".
        assert!(cats("Shares in the firm fell 3%.").is_empty());
        assert!(cats("Subscribers to the service rose.").is_empty());
        assert_eq!(cats("Share"), vec![Share]);
    }

    #[test]
    fn anchors_hold() {
        // "home" only as the whole line.
        assert!(cats("He returned home on Friday.").is_empty());
        assert_eq!(cats("Home"), vec![Nav]);
        // "sign up" must open the line unless followed by "for"/"to".
        assert!(cats("TimeWarner will try to sign up customers.").is_empty());
        assert!(cats("Sign up for our free weekly newsletter").contains(&Cta));
    }
}
