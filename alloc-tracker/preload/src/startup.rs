//! Start-up, from the library's constructor (`.init_array`): it runs once the C library
//! is initialised and before the program's own constructors and `main`. Calls that arrive
//! earlier (other libraries' constructors) are forwarded untracked.

use crate::{environment, real};

#[used]
#[unsafe(link_section = ".init_array")]
static CONSTRUCTOR: extern "C" fn() = construct;

extern "C" fn construct() {
    real::resolve();
    // A runner (`env`, a wrapper script) passes the library on to the program untouched.
    if !environment::is_the_tracked_program() {
        return;
    }
    let own_code = construct as *const () as usize;
    memleak::interposer::start(own_code);
    environment::hide_tracker();
}
