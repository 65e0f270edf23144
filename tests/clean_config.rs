//! Cleaning config sections reject unknown keys, nested tables included. (That
//! config/default.toml documents every key with its default is tested in `config.rs`.)

use corpusmill::config::Config;

#[test]
fn unknown_keys_are_rejected() {
    let e = toml::from_str::<Config>("[line_rules]\nkeyword_max_word = 3\n").unwrap_err();
    assert!(e.to_string().contains("keyword_max_word"), "{e}");
    let e = toml::from_str::<Config>("[quality.gopher_quality]\nmin_word = 3\n").unwrap_err();
    assert!(e.to_string().contains("min_word"), "{e}");
}
