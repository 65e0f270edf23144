//! The documented TOML for the cleaning sections parses and equals the built-in defaults, so
//! the reference in the README cannot drift from the code.

use corpusmill::config::Config;

#[test]
fn documented_cleaning_defaults_match_the_code() {
    let text = include_str!("data/clean_default.toml");
    let cfg: Config = toml::from_str(text).expect("documented TOML parses");
    let d = Config::default();
    assert_eq!(cfg.line_rules, d.line_rules);
    assert_eq!(cfg.repeated_lines, d.repeated_lines);
    assert_eq!(cfg.quality, d.quality);
    assert_eq!(cfg.lang, d.lang);
    cfg.line_rules.build().unwrap();
    cfg.repeated_lines.counter().unwrap();
    cfg.quality.build().unwrap();
    cfg.lang.build().unwrap();
}

#[test]
fn unknown_keys_are_rejected() {
    let e = toml::from_str::<Config>("[line_rules]\nkeyword_max_word = 3\n").unwrap_err();
    assert!(e.to_string().contains("keyword_max_word"), "{e}");
    let e = toml::from_str::<Config>("[quality.gopher_quality]\nmin_word = 3\n").unwrap_err();
    assert!(e.to_string().contains("min_word"), "{e}");
}
