//! Invented news sites for the cleaning evaluation ([`super::clean`]).
//!
//! Each site wraps a real article body in its own furniture: headers, menus, cookie banners,
//! bylines and timestamps that vary per article, share bars, related-story lists drawn from
//! other articles, newsletter and donation appeals written as full sentences, comment
//! prompts and copyright footers. Sites differ in layout and wording on purpose; the last three
//! are held out from any tuning of the line rules. Generation is deterministic ([`SplitMix64`]).

/// One evaluation document.
#[derive(Clone, Debug)]
pub struct EvalDoc {
    /// Site name (the grouping key).
    pub site: &'static str,
    /// Whether the site is held out from tuning.
    pub held_out: bool,
    /// The page text: body wrapped in site boilerplate.
    pub text: String,
    /// The true article body.
    pub truth: String,
}

/// Site names and whether each is held out, in the order documents are dealt to them.
pub const SITES: &[(&str, bool)] = &[
    ("dailyledger", false),
    ("riverside_tribune", false),
    ("metrowire", false),
    ("global_observer", false),
    ("business_daily", false),
    ("harbor_herald", true),
    ("valley_voice", true),
    ("northern_post", true),
];

use crate::rng::SplitMix64;

/// Choices a site's layout makes, drawn from the crate's one RNG.
struct Rng(SplitMix64);

impl Rng {
    /// A number in `0..n` (0 when `n` is 0). Modulo, not [`SplitMix64::below`]: the evaluation
    /// set was built this way and its published scores depend on the exact draws.
    fn below(&mut self, n: usize) -> usize {
        (self.0.next_u64() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const FIRST: &[&str] = &[
    "Anna", "James", "Priya", "Tom", "Sofia", "Daniel", "Grace", "Omar", "Helen", "Lucas", "Maria",
    "Peter", "Aisha", "Ben", "Clara", "David", "Elena", "Frank",
];
const LAST: &[&str] = &[
    "Hughes", "Patel", "Okafor", "Larsen", "Moreno", "Fischer", "Kowalski", "Nguyen", "Walsh",
    "Brennan", "Silva", "Chen", "Dubois", "Ahmed", "Jensen", "Rossi", "Murphy", "Tanaka",
];
const MONTHS: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const AGENCIES: &[&str] = &["Reuters", "AP", "AFP", "Getty Images", "EPA", "PA"];

struct Ctx<'a> {
    title: &'a str,
    paras: Vec<&'a str>,
    titles: &'a [String],
    rng: Rng,
}

impl Ctx<'_> {
    fn author(&mut self) -> String {
        format!("{} {}", self.rng.pick(FIRST), self.rng.pick(LAST))
    }
    /// One of 40 publication days, so date-dependent lines recur on a few pages each.
    fn day(&mut self) -> (usize, &'static str) {
        let d = self.rng.below(40);
        (1 + d % 28, MONTHS[d % 12])
    }
    fn date(&mut self) -> String {
        let (d, m) = self.day();
        format!("{d} {m} 2005")
    }
    fn time(&mut self) -> String {
        format!("{:02}:{:02}", 6 + self.rng.below(16), self.rng.below(60))
    }
    fn related(&mut self, k: usize) -> String {
        let mut v = Vec::with_capacity(k);
        for _ in 0..k {
            v.push(self.titles[self.rng.below(self.titles.len())].as_str());
        }
        v.join("\n")
    }
    /// The body with paragraphs joined by `sep` and `insert` placed after paragraph `at`.
    fn body(&self, sep: &str, at: usize, insert: &str) -> String {
        let mut out = String::new();
        for (i, p) in self.paras.iter().enumerate() {
            if i > 0 {
                out.push_str(sep);
            }
            out.push_str(p);
            if i + 1 == at && i + 1 < self.paras.len() && !insert.is_empty() {
                out.push_str(sep);
                out.push_str(insert);
            }
        }
        out
    }
}

fn dailyledger(c: &mut Ctx) -> String {
    let (author, date, mins) = (c.author(), c.date(), 2 + c.rng.below(7));
    let related = c.related(4);
    let body = c.body("\n\n", 2, "Advertisement");
    format!(
        "Skip to main content\nThe Daily Ledger\nNews\nBusiness\nPolitics\nSport\nCulture\nOpinion\nSubscribe\nLog in\n\n{title}\n\nBy {author}\n{date} \u{b7} {mins} min read\n\n{body}\n\nShare this article\nFacebook\nTwitter\nEmail\n\nRelated stories\n{related}\n\nSign up for the Morning Ledger\nGet the biggest stories of the day delivered to your inbox every weekday morning. It's free, and you can unsubscribe at any time.\n\nAbout us\nContact\nCareers\nPrivacy policy\nTerms of use\n\u{a9} 2005 The Daily Ledger Media Group. All rights reserved.",
        title = c.title
    )
}

fn riverside_tribune(c: &mut Ctx) -> String {
    let (author, date, time, comments) = (c.author(), c.date(), c.time(), c.rng.below(90));
    let body = c.body("\n", 0, "");
    format!(
        "We use cookies to give you the best experience on our website. By continuing to browse the site, you agree to our use of cookies.\nAccept\nManage preferences\nHome | Local | Nation | World | Business | Sports\n{title}\nPosted {date} at {time}\n{author}, Staff Writer\n{body}\nSupport local journalism\nThe Riverside Tribune is a nonprofit newsroom. We rely on readers like you to fund in-depth reporting on the issues that matter to our community.\nEvery gift, large or small, helps us keep our journalism free for everyone. Donate today and your contribution will be matched.\n$5\n$10\n$25\nOther amount\nDonate now\nComments ({comments})\nLeave a comment\nCopyright \u{a9} 2005 Riverside Tribune Publishing Co.",
        title = c.title
    )
}

fn metrowire(c: &mut Ctx) -> String {
    let agency = c.rng.pick(AGENCIES);
    let read_more = c.related(1);
    let most_read = c.related(5);
    let body = c.body("\n\n", 3, &format!("Read more: {read_more}"));
    format!(
        "MetroWire\nMenu\nSearch\n\n{title}\n\nA file photo. (Photo: {agency})\n\n{body}\n\nFollow MetroWire on Twitter and Facebook for the latest updates.\n\nMost read\n{most_read}\n\nCopyright 2005 MetroWire. All rights reserved. This material may not be published, broadcast, rewritten or redistributed.",
        title = c.title
    )
}

fn global_observer(c: &mut Ctx) -> String {
    let date = c.date();
    let body = c.body("\n\n", 0, "");
    let topics = [
        "Economy",
        "Politics",
        "Europe",
        "Technology",
        "Culture",
        "Sport",
    ];
    let t1 = c.rng.pick(&topics);
    let t2 = c.rng.pick(&topics);
    format!(
        "Global Observer \u{2014} Independent news since 1923\nWorld \u{203a} Europe\n\n{title}\n\n{date}\n\n{body}\n\nTopics: {t1}, {t2}\n\nA note to our readers\n\nQuality journalism takes time, money and hard work to produce. Our correspondents report from more than 40 countries, and we are funded by our members.\n\nIf you value our reporting, please consider becoming a member for as little as $1 a week. It only takes a minute.\n\nBecome a member\nMaybe later",
        title = c.title
    )
}

fn business_daily(c: &mut Ctx) -> String {
    let (author, date) = (c.author(), c.date());
    let (d, _) = c.day();
    let ftse = 4700 + d * 7;
    let dow = 10400 + d * 31;
    let left = 1 + c.rng.below(4);
    let body = c.body("\n\n", 0, "");
    let more = c.related(3);
    format!(
        "Markets: FTSE 100 {ftse}.{d:02} \u{25b2}0.{d}% | Dow {dow}.{left:02} \u{25bc}0.{left}%\n\nYou have {left} free articles remaining this month.\nSubscribe for unlimited access\n\n{title}\n\nBy {author} | {date}\n\nListen to this article\n\n{body}\n\nMore from Business Daily\n{more}\n\nBusiness Daily is a trading name of BD Publishing. \u{a9} 2005",
        title = c.title
    )
}

fn harbor_herald(c: &mut Ctx) -> String {
    let author = c.author();
    let date = c.date();
    let more = c.related(4);
    let body = c.body(
        "\n\n",
        3,
        "The Briefing\nOur editors' pick of the day's essential reads, sent every evening. Enter your email address below.\nEmail address\nSign me up",
    );
    format!(
        "Harbor Herald\n\n{title}\n\nReporter: {author}\n{date}\n\n{body}\n\nEnjoyed this story? The Herald has been telling the story of this coast for 150 years, and we could not do it without the people who pay for it.\n\nBack our work from just \u{a3}3 a month. Cancel whenever you like.\n\nBack the Herald\n\nMore from Harbor Herald\n{more}\n\nHarbor Herald Ltd, registered in England No. 01234567\nAccessibility\nSitemap\nCorrections",
        title = c.title
    )
}

fn valley_voice(c: &mut Ctx) -> String {
    let (a1, a2, date) = (c.author(), c.author(), c.date());
    let also = c.related(3);
    let body = c.body("\n", 0, "");
    format!(
        "Share\nTweet\nPin\nWhatsApp\n{title}\nUpdated: {date}\nWords by {a1}. Pictures by {a2}.\n{body}\nGot a story? Email newsdesk@valleyvoice.example or call 01234 567890.\nYou might also like\n{also}\nThis website stores data such as cookies to enable essential site functionality, as well as marketing, personalization, and analytics.\nPrivacy settings\nValley Voice \u{a9} 2005",
        title = c.title
    )
}

fn northern_post(c: &mut Ctx) -> String {
    let breaking = c.related(1);
    let (author, date) = (c.author(), c.date());
    let body = c.body("\n\n", 2, "ADVERTISEMENT\nStory continues below");
    format!(
        "Breaking: {breaking}\nNorthern Post\nLive\nVideo\nPodcasts\nNewsletters\n\n{title}\n\n{author} - {date}\n\n{body}\n\nPlease help us keep the Northern Post independent. Readers' contributions fund everything we publish, and every contribution, however big or small, makes a real difference.\n\nMake a contribution\n\nComments are closed for this article.\n\nNorthern Post Media. Registered office: 1 Quay Street, Newcastle.",
        title = c.title
    )
}

type Render = fn(&mut Ctx) -> String;
const RENDERS: &[Render] = &[
    dailyledger,
    riverside_tribune,
    metrowire,
    global_observer,
    business_daily,
    harbor_herald,
    valley_voice,
    northern_post,
];

/// Builds the evaluation set from `(title, body)` articles: article `i` goes to site
/// `i % SITES.len()`. Text and truth are returned unnormalized; callers normalize both.
pub fn build_set(articles: &[(String, String)], seed: u64) -> Vec<EvalDoc> {
    let titles: Vec<String> = articles.iter().map(|a| a.0.clone()).collect();
    let mut out = Vec::with_capacity(articles.len());
    for (i, (title, body)) in articles.iter().enumerate() {
        let s = i % SITES.len();
        let mut ctx = Ctx {
            title,
            paras: body
                .split("\n\n")
                .filter(|p| !p.trim().is_empty())
                .collect(),
            titles: &titles,
            rng: Rng(SplitMix64::new(
                seed ^ (i as u64).wrapping_mul(0xA24B_AED4_963E_E407),
            )),
        };
        let text = RENDERS[s](&mut ctx);
        out.push(EvalDoc {
            site: SITES[s].0,
            held_out: SITES[s].1,
            text,
            truth: body.clone(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_contains_body() {
        let arts = vec![
            (
                "Ad sales boost Time Warner profit".to_string(),
                "Quarterly profits at US media giant TimeWarner jumped 76%.\n\nThe firm said."
                    .to_string(),
            ),
            (
                "Dollar gains on Greenspan speech".to_string(),
                "The dollar has hit its highest level against the euro.\n\nAnd more.".to_string(),
            ),
        ];
        let a = build_set(&arts, 7);
        let b = build_set(&arts, 7);
        assert_eq!(a[0].text, b[0].text);
        assert!(a[1].text.contains("The dollar has hit its highest level"));
        assert_eq!(a[1].site, "riverside_tribune");
    }
}
