//! `parindex serve`: the live year as a local web page.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use parindex::lang::{Lang, Text};
use parindex::live::engine::Engine;
use parindex::live::watch::WatchOptions;
use parindex::serve::{run, ServeOptions};

use super::*;

pub(crate) struct ServeArgs {
    pub year: u16,
    pub port: u16,
    pub bind: IpAddr,
    pub poll: bool,
    pub debounce_ms: u64,
}

pub(crate) fn serve(root: &Path, args: ServeArgs, lang: Lang) -> ExitCode {
    let engine = match Engine::open(root, args.year) {
        Ok(e) => Arc::new(e),
        Err(diags) => {
            print_diags_in(&diags, DiagFormat::Text, lang);
            return ExitCode::FAILURE;
        }
    };
    let watch = WatchOptions { debounce: Duration::from_millis(args.debounce_ms), poll: args.poll.then_some(Duration::from_millis(500)) };
    let options = ServeOptions { addr: SocketAddr::new(args.bind, args.port), lang, watch };
    let year = args.year;
    let started = run(engine, options, |addr| {
        let shown = if addr.ip().is_unspecified() { SocketAddr::new(IpAddr::from([127, 0, 0, 1]), addr.port()) } else { addr };
        outln!("{} {year}: http://{shown}/", Text::ServingAt.get(lang));
        eoutln!("{}", Text::ServeStop.get(lang));
    });
    match started {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eoutln!("error: {} {}:{}: {e}", Text::CannotServe.get(lang), args.bind, args.port);
            ExitCode::FAILURE
        }
    }
}
