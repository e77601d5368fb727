//! Herald's browser SDK, compiled to WebAssembly.
//!
//! From the top floor down:
//! - [`commands`]: the Pushpad-style `herald('subscribe', cb, opts)` API.
//! - [`sdk`]: the operations (subscribe, uid, log out, preferences, opt out);
//!   [`status`]: status; [`drift`]: `init` and drift repair; [`optout`]: the
//!   full opt-out; [`eligibility`]: whether the soft prompt may ask, and its
//!   back-off (the UI itself is the lazily loaded chunk `js/ui.js`).
//! - [`api`]: the server's browser API; [`auth`]: signatures from the
//!   site's `authEndpoint`; [`push`]: the worker registration and push
//!   subscription; [`browser`]: capability and silent permission checks.
//! - [`store`]: the IndexedDB mirror; [`sync`]: retries and the queue
//!   (`js/sync.js`, shared with the service worker).
//! - [`config`]: `init`'s options; [`util`]: JS access; [`error`]: typed
//!   errors, converted to JS once, here.
//!
//! The exports below are the module API that `herald.js` wraps.
#![deny(missing_docs)]
// In the browser the SDK is built without std (the `standalone` feature):
// std's panic machinery alone pulls in all of core::fmt. Host builds and
// the wasm-bindgen tests link std as usual.
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

pub mod api;
pub mod auth;
pub mod browser;
pub mod commands;
pub mod config;
pub mod drift;
pub mod eligibility;
pub mod error;
pub mod optout;
pub mod push;
pub mod sdk;
pub mod status;
pub mod store;
pub mod sync;
pub mod util;

use alloc::string::String;
use js_sys::Array;
use wasm_bindgen::prelude::*;

/// A panic stops the module (`unreachable`) without formatting a message:
/// the SDK does not panic on anything the page or the network controls, and
/// formatting would cost ~10 KB of wasm.
#[cfg(all(target_arch = "wasm32", feature = "standalone"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

/// A small free-list allocator: the SDK makes few, short-lived allocations.
#[cfg(all(target_arch = "wasm32", feature = "standalone"))]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

/// Runs one command: `command('subscribe', [cb, opts])` (herald.js calls
/// it for every command, in order); a failure rejects with an `Error`
/// whose `code` says why. One export keeps the module small: every
/// exported async function costs a promise adapter in the wasm.
#[wasm_bindgen]
pub async fn command(name: String, args: Array) -> Result<JsValue, JsValue> {
    commands::run(&name, &args)
        .await
        .map_err(error::Error::into_js)
}
