//! Where a message sends the reader to change something: a command-line flag natively, the
//! page's control in the browser build, so that the page never gives advice it has no use for.

/// Whether messages are for the page (the browser build) rather than the command line.
pub const FOR_PAGE: bool = cfg!(target_arch = "wasm32");

/// `cli` natively, `page` in the browser.
pub fn say(cli: &'static str, page: &'static str) -> &'static str {
    if FOR_PAGE { page } else { cli }
}

/// The page's control for an option's command-line flag; empty where the page has none.
pub fn page_control(flag: &str) -> &'static str {
    match flag {
        "--seeds" => "the Seeds box",
        "--threshold" => "the Threshold slider",
        "--test-size" => "the Split card's Test rows",
        "--iqr-k" => "the Outliers card's k",
        "--select top:K" | "--select min:S" => "the Feature selection card",
        "--one-hot-max" | "--min-level-rows" => "the Categories card",
        "--models" => "the Models boxes",
        "--epochs" => "the Epochs box",
        "--batch-size" => "the Batch box",
        "--hidden" => "the Hidden units box",
        "--lr" => "the Learning rate box",
        "--g-lr" => "the Generator rate box",
        "--embedding-bins" => "the Encoding bins box",
        "--ensemble" => "the Class heads box",
        "--adapters" => "the adapters box",
        "--label-smoothing" => "the Label smoothing box",
        "--weight-decay" => "the Weight decay box",
        _ => "",
    }
}

/// How a config problem names where to change the option: its flag, or its page control.
pub fn control(flag: &str, page: bool) -> &str {
    if page { page_control(flag) } else { flag }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_sent_to_its_controls_never_to_flags() {
        assert_eq!(control("--epochs", true), "the Epochs box");
        assert_eq!(control("--epochs", false), "--epochs");
        // Options the page has no control for are named by their option path alone.
        assert_eq!(control("--leak-auc", true), "");
        assert_eq!(say("with --target", "in the page"), "with --target");
    }
}
