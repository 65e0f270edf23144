//! The invented news sites that generated documents are published on.
//!
//! Each site has a host (so per-site cleaning has groups to work with) and its own boilerplate:
//! short header lines and footer lines, some of them full sentences, modelled on the real page
//! in `shared/data/seed` ("Support The Moscow Times!", newsletter blurbs, privacy notices).

/// One invented site.
#[derive(Clone, Copy, Debug)]
pub struct Site {
    /// Host name used in URLs.
    pub host: &'static str,
    /// Display name, written to the `source` field.
    pub name: &'static str,
    /// Lines a page may start with.
    pub header: &'static [&'static str],
    /// Lines a page may end with.
    pub footer: &'static [&'static str],
}

/// The sites, in a fixed order (the generator's output depends on it).
pub const SITES: &[Site] = &[
    Site {
        host: "www.northfield-herald.example",
        name: "Northfield Herald",
        header: &[
            "Support The Northfield Herald!",
            "Home | News | Business | Sport | Culture",
            "Breaking news alerts from the Northfield Herald, delivered as it happens.",
        ],
        footer: &[
            "Sign up for our free weekly newsletter",
            "Our weekly newsletter contains a hand-picked selection of news, features, analysis and more from The Northfield Herald. You will receive it in your mailbox every Friday.",
            "Subscribers agree to the Privacy Policy",
            "© 2005 Northfield Herald Media Group. All rights reserved.",
        ],
    },
    Site {
        host: "news.coastal-ledger.example",
        name: "The Coastal Ledger",
        header: &[
            "Skip to main content",
            "The Coastal Ledger — independent journalism since 1891",
        ],
        footer: &[
            "Read more: the latest from The Coastal Ledger newsroom.",
            "If you value our reporting, please consider becoming a member of The Coastal Ledger today.",
            "Share this article on Facebook, Twitter or by email.",
            "Copyright The Coastal Ledger. This material may not be published, broadcast, rewritten or redistributed.",
        ],
    },
    Site {
        host: "metrowire.example",
        name: "MetroWire",
        header: &["MetroWire", "Advertisement", "Trending: Markets | Politics | Tech"],
        footer: &[
            "Related stories",
            "Reporting by MetroWire staff; editing by the MetroWire desk.",
            "Our standards: The MetroWire Trust Principles.",
            "Click here to subscribe to MetroWire and get unlimited access for just one pound a week.",
        ],
    },
    Site {
        host: "www.dailyquill.example",
        name: "The Daily Quill",
        header: &[
            "The Daily Quill",
            "Log in | Register | Subscribe",
            "You are reading one of your three free articles this month.",
        ],
        footer: &[
            "Comments are closed for this article.",
            "The Daily Quill is a member of the Independent Press Standards Organisation.",
            "Follow us on social media for the stories that matter to you.",
        ],
    },
    Site {
        host: "eveningpost-online.example",
        name: "Evening Post Online",
        header: &["Evening Post Online", "Latest headlines"],
        footer: &[
            "Have your say: join the debate in the comments below.",
            "Got a story? Email the newsdesk or call us any time, day or night.",
            "Evening Post Online uses cookies to improve your experience. By continuing to use the site you agree to our use of cookies.",
        ],
    },
    Site {
        host: "www.riverside-times.example",
        name: "Riverside Times",
        header: &["Riverside Times", "Menu", "Search"],
        footer: &[
            "Sponsored content",
            "Most read in the Riverside Times this week",
            "Riverside Times Ltd is registered in England and Wales. Registered office: 1 River Street.",
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites_are_distinct_and_have_boilerplate() {
        for (i, a) in SITES.iter().enumerate() {
            assert!(!a.header.is_empty() && !a.footer.is_empty(), "{}", a.host);
            for b in &SITES[i + 1..] {
                assert_ne!(a.host, b.host);
            }
        }
    }
}
