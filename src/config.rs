//! Every stage's options in one [`Config`] (the JSON the page sends and `--config` reads), and
//! its validation: [`Config::check`] turns it into a [`Checked`] config, the only kind the
//! [`crate::session::Session`] accepts, so every bad value is refused on entry, each in a
//! message naming its option, before any work starts.

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::clean::CleanOptions;
use crate::ingest::IngestOptions;
use crate::models::boosting::BoostOptions;
use crate::models::{ModelOptions, NnOptions};
use crate::preprocess::{Keep, PrepOptions};
use crate::schema::SchemaOptions;
use crate::split::SplitOptions;

/// The most seeds one run repeats over.
pub const MAX_SEEDS: usize = 100;

/// Every stage's options; each part and field may be left out (defaults apply).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "snake_case", deny_unknown_fields)]
pub struct Config {
    pub ingest: IngestOptions,
    pub schema: SchemaOptions,
    pub clean: CleanOptions,
    pub split: SplitOptions,
    pub preprocess: PrepOptions,
    pub models: ModelOptions,
    /// `run` repeats split, fitting and scoring with seeds `split.seed`, `split.seed + 1`, …
    pub seeds: usize,
    /// Churn is predicted at probability ≥ threshold.
    pub threshold: f64,
    /// Also fit every model on the training rows plus GAN-generated churners (as many as
    /// balance the classes), reported as rows of their own.
    pub augment: bool,
    /// Also choose each model's F1-optimal threshold on validation rows carved from the
    /// training rows (a second fit on the rest), and report the test scores at it beside
    /// those at `threshold`.
    pub f1_thresholds: bool,
    /// Threads for the independent fits of `run` (natively; 0: every core). Results do not
    /// depend on it; the page runs its jobs on a pool of workers instead.
    pub jobs: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            ingest: IngestOptions::default(),
            schema: SchemaOptions::default(),
            clean: CleanOptions::default(),
            split: SplitOptions::default(),
            preprocess: PrepOptions::default(),
            models: ModelOptions::default(),
            seeds: 1,
            threshold: 0.5,
            augment: false,
            f1_thresholds: false,
            jobs: 0,
        }
    }
}

impl Config {
    /// Options from any serde source (the page's JS object, a JSON file): a value of the wrong
    /// type, an unknown key or model is refused in a message that names the option's path.
    pub fn from_deserializer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Config, Error> {
        serde_path_to_error::deserialize(d).map_err(|e| {
            let path = e.path().to_string();
            let at = if path == "." {
                String::new()
            } else {
                format!("{path}: ")
            };
            Error::config(format!("bad options: {at}{}", e.inner()))
        })
    }

    /// Options from JSON text.
    pub fn from_json(text: &str) -> Result<Config, Error> {
        Config::from_deserializer(&mut serde_json::Deserializer::from_str(text))
    }
}

/// A [`Config`] whose every value is in range.
#[derive(Clone, Debug, PartialEq)]
pub struct Checked(Config);

impl std::ops::Deref for Checked {
    type Target = Config;

    fn deref(&self) -> &Config {
        &self.0
    }
}

impl Default for Checked {
    fn default() -> Self {
        Config::default().check().expect("the defaults are valid")
    }
}

/// Collects the problems of a config, each naming its option (as in the JSON) and where to
/// change it: the command-line flag, or in the page its control ([`crate::advice`]).
struct Problems {
    list: Vec<String>,
    page: bool,
}

impl Problems {
    fn need(
        &mut self,
        ok: bool,
        option: &str,
        flag: &str,
        rule: &str,
        value: impl std::fmt::Display,
    ) {
        if !ok {
            let flag = crate::advice::control(flag, self.page);
            let flag = if flag.is_empty() {
                String::new()
            } else {
                format!(", {flag}")
            };
            self.list
                .push(format!("{option} ({rule}{flag}) is {value}"));
        }
    }
}

fn positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

fn non_negative(x: f64) -> bool {
    x.is_finite() && x >= 0.0
}

impl Config {
    /// The config, if every value is in range; otherwise one message listing each bad value.
    pub fn check(self) -> Result<Checked, Error> {
        let problems = self.problems(crate::advice::FOR_PAGE);
        if problems.is_empty() {
            Ok(Checked(self))
        } else {
            Err(Error::config(format!(
                "bad options: {}",
                problems.join("; ")
            )))
        }
    }

    /// Every bad value, worded for the page or for the command line.
    fn problems(&self, page: bool) -> Vec<String> {
        let mut p = Problems {
            list: Vec::new(),
            page,
        };
        self.check_run(&mut p);
        self.check_split_and_preprocess(&mut p);
        self.check_models(&mut p);
        p.list
    }

    fn check_run(&self, p: &mut Problems) {
        let s = self.seeds;
        p.need(
            (1..=MAX_SEEDS).contains(&s),
            "seeds",
            "--seeds",
            &format!("1 to {MAX_SEEDS}"),
            s,
        );
        let t = self.threshold;
        p.need(
            (0.0..=1.0).contains(&t),
            "threshold",
            "--threshold",
            "0 to 1",
            t,
        );
        if let Some(d) = self.ingest.delimiter {
            let ok = [',', ';', '\t', '|'].contains(&d) || (d.is_ascii_punctuation() && d != '"');
            p.need(
                ok,
                "ingest.delimiter",
                "--delimiter",
                "a punctuation character, not a quote",
                format!("'{d}'"),
            );
        }
    }

    fn check_split_and_preprocess(&self, p: &mut Problems) {
        let f = self.split.test_fraction;
        p.need(
            f > 0.0 && f < 1.0,
            "split.test_fraction",
            "--test-size",
            "between 0 and 1",
            f,
        );
        let pre = &self.preprocess;
        let k = pre.iqr_k;
        p.need(
            non_negative(k),
            "preprocess.iqr_k",
            "--iqr-k",
            "a number ≥ 0",
            k,
        );
        p.need(
            pre.leak_auc > 0.5 && pre.leak_auc.is_finite(),
            "preprocess.leak_auc",
            "--leak-auc",
            "a number above 0.5",
            pre.leak_auc,
        );
        p.need(
            pre.one_hot_max >= 1,
            "preprocess.one_hot_max",
            "--one-hot-max",
            "at least 1",
            pre.one_hot_max,
        );
        p.need(
            pre.min_level_rows >= 1,
            "preprocess.min_level_rows",
            "--min-level-rows",
            "at least 1",
            pre.min_level_rows,
        );
        match pre.keep {
            Keep::Top(n) => p.need(
                n >= 1,
                "preprocess.keep.top",
                "--select top:K",
                "at least 1",
                n,
            ),
            Keep::MinScore(m) => p.need(
                m.is_finite(),
                "preprocess.keep.min_score",
                "--select min:S",
                "a number",
                m,
            ),
            Keep::All => {}
        }
    }

    fn check_models(&self, p: &mut Problems) {
        let m = &self.models;
        check_model_list(m, p);
        check_baselines(m, p);
        check_gbdt(&m.gbdt, p);
        check_training(&m.nn, p);
        check_discriminator(&m.nn, p);
    }
}

/// Each model once, at least one.
fn check_model_list(m: &ModelOptions, p: &mut Problems) {
    p.need(
        !m.models.is_empty(),
        "models.models",
        "--models",
        "at least one model",
        "empty",
    );
    let mut seen = m.models.clone();
    seen.sort_by_key(|k| *k as u8);
    seen.dedup();
    p.need(
        seen.len() == m.models.len(),
        "models.models",
        "--models",
        "each model once",
        "repeating one",
    );
}

/// Logistic regression, the forest, KNN.
fn check_baselines(m: &ModelOptions, p: &mut Problems) {
    p.need(
        non_negative(m.lr_alpha),
        "models.lr_alpha",
        "",
        "a number ≥ 0",
        m.lr_alpha,
    );
    p.need(
        m.rf_trees >= 1,
        "models.rf_trees",
        "--rf-trees",
        "at least 1",
        m.rf_trees,
    );
    if let Some(f) = m.rf_max_features {
        p.need(
            f >= 1,
            "models.rf_max_features",
            "--rf-features",
            "at least 1",
            f,
        );
    }
    p.need(
        m.knn_k >= 1,
        "models.knn_k",
        "--knn-k",
        "at least 1",
        m.knn_k,
    );
}

/// Gradient boosting.
fn check_gbdt(b: &BoostOptions, p: &mut Problems) {
    let share = |v: f64| v > 0.0 && v <= 1.0;
    p.need(
        b.learning_rate > 0.0 && b.learning_rate <= 1.0,
        "models.gbdt.learning_rate",
        "",
        "above 0, at most 1",
        b.learning_rate,
    );
    p.need(
        b.rounds >= 1,
        "models.gbdt.rounds",
        "",
        "at least 1",
        b.rounds,
    );
    p.need(
        b.max_leaves >= 2,
        "models.gbdt.max_leaves",
        "",
        "at least 2",
        b.max_leaves,
    );
    p.need(
        non_negative(b.l2),
        "models.gbdt.l2",
        "",
        "a number ≥ 0",
        b.l2,
    );
    p.need(
        share(b.row_fraction),
        "models.gbdt.row_fraction",
        "",
        "above 0, at most 1",
        b.row_fraction,
    );
    p.need(
        share(b.feature_fraction),
        "models.gbdt.feature_fraction",
        "",
        "above 0, at most 1",
        b.feature_fraction,
    );
    p.need(
        (0.0..0.9).contains(&b.validation_fraction),
        "models.gbdt.validation_fraction",
        "",
        "from 0 to below 0.9",
        b.validation_fraction,
    );
    p.need(
        b.patience >= 1,
        "models.gbdt.patience",
        "",
        "at least 1",
        b.patience,
    );
}

/// The networks' training.
fn check_training(nn: &NnOptions, p: &mut Problems) {
    p.need(
        nn.epochs >= 1,
        "models.nn.epochs",
        "--epochs",
        "at least 1",
        nn.epochs,
    );
    p.need(
        nn.batch_size >= 1,
        "models.nn.batch_size",
        "--batch-size",
        "at least 1",
        nn.batch_size,
    );
    p.need(
        nn.hidden >= 1,
        "models.nn.hidden",
        "--hidden",
        "at least 1",
        nn.hidden,
    );
    p.need(nn.noise >= 1, "models.nn.noise", "", "at least 1", nn.noise);
    let lr = nn.learning_rate;
    p.need(
        positive(lr),
        "models.nn.learning_rate",
        "--lr",
        "a number > 0",
        lr,
    );
    let g = nn.generator_learning_rate;
    p.need(
        positive(g),
        "models.nn.generator_learning_rate",
        "--g-lr",
        "a number > 0",
        g,
    );
    let v = nn.validation_fraction;
    p.need(
        (0.0..0.5).contains(&v),
        "models.nn.validation_fraction",
        "",
        "0 to below 0.5",
        v,
    );
    let w = nn.unsupervised_weight;
    p.need(
        non_negative(w),
        "models.nn.unsupervised_weight",
        "--unsupervised-weight",
        "a number ≥ 0",
        w,
    );
    if let Some(n) = nn.patience {
        p.need(n >= 1, "models.nn.patience", "--patience", "at least 1", n);
    }
}

/// The stronger discriminator's options.
fn check_discriminator(nn: &NnOptions, p: &mut Problems) {
    let b = nn.embedding_bins;
    p.need(
        b <= 64,
        "models.nn.embedding_bins",
        "--embedding-bins",
        "0 to 64",
        b,
    );
    let k = nn.ensemble;
    p.need(
        (1..=32).contains(&k),
        "models.nn.ensemble",
        "--ensemble",
        "1 to 32",
        k,
    );
    p.need(
        !nn.adapters || k >= 2,
        "models.nn.adapters",
        "--adapters",
        "only with 2 or more class heads",
        nn.adapters,
    );
    let e = nn.label_smoothing;
    p.need(
        (0.0..0.5).contains(&e),
        "models.nn.label_smoothing",
        "--label-smoothing",
        "0 to below 0.5",
        e,
    );
    let w = nn.weight_decay;
    p.need(
        (0.0..=1.0).contains(&w),
        "models.nn.weight_decay",
        "--weight-decay",
        "0 to 1",
        w,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::ModelKind;

    #[test]
    fn the_defaults_pass_and_each_bad_value_is_named() {
        assert!(Config::default().check().is_ok());
        let mut c = Config::default();
        c.models.nn.epochs = 0;
        c.threshold = 1.5;
        c.models.knn_k = 0;
        c.split.test_fraction = 1.0;
        c.seeds = 0;
        c.models.nn.learning_rate = f64::NAN;
        c.models.nn.ensemble = 0;
        c.models.nn.adapters = true;
        c.models.nn.label_smoothing = 0.5;
        let e = c.clone().check().unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::Config);
        for named in [
            "models.nn.epochs (at least 1, --epochs) is 0",
            "threshold (0 to 1, --threshold) is 1.5",
            "models.knn_k (at least 1, --knn-k) is 0",
            "split.test_fraction (between 0 and 1, --test-size) is 1",
            "seeds (1 to 100, --seeds) is 0",
            "models.nn.learning_rate (a number > 0, --lr) is NaN",
            "models.nn.ensemble (1 to 32, --ensemble) is 0",
            "models.nn.adapters (only with 2 or more class heads, --adapters) is true",
            "models.nn.label_smoothing (0 to below 0.5, --label-smoothing) is 0.5",
        ] {
            assert!(e.message.contains(named), "{named} in {}", e.message);
        }
        // The page is sent to its controls, never to a flag.
        c.models.nn.hidden = 0;
        c.preprocess.leak_auc = 0.2;
        let page = c.problems(true).join("; ");
        assert!(!page.contains("--"), "{page}");
        for named in [
            "models.nn.epochs (at least 1, the Epochs box) is 0",
            "split.test_fraction (between 0 and 1, the Split card's Test rows) is 1",
            "preprocess.leak_auc (a number above 0.5) is 0.2",
        ] {
            assert!(page.contains(named), "{named} in {page}");
        }
    }

    /// The start value of the page's control `id`: its `value`, or whether a checkbox is
    /// `checked`.
    fn page_control(html: &str, id: &str) -> String {
        let at = html
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("no #{id} in the page"));
        let start = html[..at].rfind('<').expect("the control's tag");
        let tag = &html[start..at + html[at..].find('>').expect("a closed tag")];
        if tag.contains("type=\"checkbox\"") {
            return tag.contains(" checked").to_string();
        }
        let value = tag.split("value=\"").nth(1).expect("a value");
        value[..value.find('"').expect("a quoted value")].to_string()
    }

    #[test]
    fn the_page_starts_at_the_library_defaults() {
        let html = include_str!("../www/index.html");
        let c = Config::default();
        let (nn, pre) = (&c.models.nn, &c.preprocess);
        for (id, want) in [
            ("epochs", nn.epochs as f64),
            ("batch", nn.batch_size as f64),
            ("hidden", nn.hidden as f64),
            ("lr", nn.learning_rate),
            ("g-lr", nn.generator_learning_rate),
            ("embedding-bins", nn.embedding_bins as f64),
            ("ensemble", nn.ensemble as f64),
            ("label-smoothing", nn.label_smoothing),
            ("weight-decay", nn.weight_decay),
            ("seeds", c.seeds as f64),
            ("threshold", c.threshold),
            ("test-size", 100.0 * c.split.test_fraction),
            ("seed", c.split.seed as f64),
            ("iqr-k", pre.iqr_k),
            ("one-hot-max", pre.one_hot_max as f64),
            ("min-level-rows", pre.min_level_rows as f64),
        ] {
            let got: f64 = page_control(html, id).parse().expect("a number");
            assert!(
                (got - want).abs() < 1e-9,
                "#{id} starts at {got}, the library at {want}"
            );
        }
        for (id, want) in [
            ("adapters", nn.adapters),
            ("keep-best", nn.keep_best),
            ("f1-thresholds", c.f1_thresholds),
            ("scale", pre.scale),
        ] {
            assert_eq!(page_control(html, id), want.to_string(), "#{id}");
        }
    }

    #[test]
    fn unknown_models_and_options_are_refused_by_name() {
        let e = Config::from_json(r#"{"models": {"models": ["gan", "xgb"]}}"#).unwrap_err();
        assert!(
            e.message.contains("models.models[1]: unknown model 'xgb'"),
            "{e}"
        );
        let e = Config::from_json(r#"{"models": {"nn": {"epoch": 3}}}"#).unwrap_err();
        assert!(e.message.contains("unknown field `epoch`"), "{e}");
        let e = Config::from_json(r#"{"models": {"nn": {"epochs": -3}}}"#).unwrap_err();
        assert!(
            e.message
                .contains("models.nn.epochs: invalid value: integer `-3`"),
            "{e}"
        );
        let mut c = Config::default();
        c.models.models = vec![ModelKind::Gan, ModelKind::Gan];
        assert!(c.check().unwrap_err().message.contains("each model once"));
    }
}
