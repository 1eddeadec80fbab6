//! Any bytes, under any of the file names the page accepts, through ingest, schema inference,
//! cleaning, exploration, the split and preprocessing (`inspect`): a result or an error,
//! never a panic, an abort or a hang.
#![no_main]

use churnlab::config::Checked;
use churnlab::session::Session;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the name, and so whether the bytes are first tried as a spreadsheet.
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let name = ["t.csv", "t.xlsx", "t.tsv", "t.xls"][usize::from(pick) % 4];
    let cfg = Checked::default();
    if let Ok(mut session) = Session::load(bytes, name, &cfg) {
        let _ = session.inspect(&cfg);
    }
});
