//! The exitscan binary: parse arguments, run, map the result to an exit status.

use clap::Parser;

/// mimalloc: records are built on the two scanning threads and freed on
/// another; glibc's malloc takes the allocating arena's lock for such frees.
/// On describe input (a record every 3 KB) mimalloc cut CPU time by ~10 %.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_arena_eager_commit` and `mi_option_purge_delay` (mimalloc v3's
/// `mi_option_e`): commit arena memory as it is used, and give freed pages
/// back after 5 ms, so that peak RSS stays what the scan holds. (With the
/// defaults a 1 GiB describe scan peaks at 26 MiB. Giving pages back at
/// once kept it at 14 MiB but cost 40,000 page faults, 8 % of the CPU;
/// 5 ms cut those to 8,000 for +2 MiB, half of it won back by leaving
/// the read buffers' headroom unwritten, `app::produce`.)
const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    set_allocator_options();
    let cli = exitscan::cli::Cli::parse();
    std::process::exit(exitscan::app::run(cli));
}

fn set_allocator_options() {
    // SAFETY: setting an option is a plain store into mimalloc's option
    // table; both are read when memory is next reserved or purged.
    unsafe {
        libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 5);
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::{c_char, c_void, CStr};

    unsafe extern "C" {
        fn mi_options_print_out(out: libmimalloc_sys::mi_output_fun, arg: *mut c_void);
    }

    unsafe extern "C" fn collect(msg: *const c_char, arg: *mut c_void) {
        // SAFETY: `arg` is the `String` passed below; mimalloc hands over
        // NUL-terminated text.
        let (out, msg) = unsafe { (&mut *arg.cast::<String>(), CStr::from_ptr(msg)) };
        out.push_str(&msg.to_string_lossy());
    }

    /// The option numbers are mimalloc's names for what we mean to set.
    #[test]
    fn allocator_options_by_name() {
        super::set_allocator_options();
        let mut out = String::new();
        // SAFETY: `collect` only appends to `out`, which outlives the call.
        unsafe { mi_options_print_out(Some(collect), (&raw mut out).cast()) };
        assert!(out.contains("option 'arena_eager_commit': 0"), "{out}");
        assert!(out.contains("option 'purge_delay': 5"), "{out}");
    }
}
