//! What the tests share: a quick configuration, a session trained with it, and reports as
//! JSON without what depends on the clock.
// Each test crate uses a part of this.
#![allow(dead_code)]

use churnlab::block_on;
use churnlab::compare::Control;
use churnlab::config::{Checked, Config};
use churnlab::models::ModelKind;
use churnlab::session::Session;

/// A quick config: two epochs of small networks and the given models.
pub fn quick(models: &[ModelKind]) -> Checked {
    let mut c = Config::default();
    c.models.models = models.to_vec();
    c.models.nn.epochs = 2;
    c.models.nn.hidden = 16;
    c.check().unwrap()
}

/// A session of the table `csv`, with `models` trained on it by [`quick`].
pub fn trained_on(csv: &str, models: &[ModelKind]) -> (Session, Checked) {
    let cfg = quick(models);
    let mut session = Session::load(csv.as_bytes(), "sample.csv", &cfg).unwrap();
    block_on(session.run(&cfg, Control::none())).unwrap();
    (session, cfg)
}

/// `v` without what depends on the clock or the process: every `*seconds` key and the peak
/// memory, wherever they are.
pub fn untimed(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            map.retain(|k, _| !k.ends_with("seconds") && k != "peak_mib");
            map.values_mut().for_each(untimed);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(untimed),
        _ => {}
    }
}
