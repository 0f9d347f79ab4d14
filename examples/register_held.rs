//! A block that only a running thread's register refers to: a worker allocates 4,096
//! bytes in `allocate_hidden`, keeps the address only in a register (r12 on x86_64, x20
//! on aarch64) and spins there until the process exits. The block is reachable, not
//! lost: the exit scan reads the registers of threads that still run.
//!
//! Elsewhere the program only says it has nothing to show.

#[cfg(memleak)]
#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

/// Mixed into the address so that no copy of it in memory points at the block.
const MASK: usize = 0x5a5a_5a5a_5a5a_5a5a;

/// The block, as its address xor [`MASK`].
#[inline(never)]
fn allocate_hidden() -> usize {
    let block = Box::into_raw(Box::new([3u8; 4096]));
    block as usize ^ MASK
}

/// Overwrites the stack below the caller, where `allocate_hidden` and the allocator left
/// copies of the address.
#[inline(never)]
fn scrub_stack() {
    let zeros = [0usize; 8192];
    std::hint::black_box(&zeros);
}

/// Unmasks the address into the register and spins there for good.
#[cfg(target_arch = "x86_64")]
fn spin_holding(masked: usize) -> ! {
    // SAFETY: only registers are touched; the loop never ends, as the signature says.
    unsafe {
        std::arch::asm!(
            "xor r12, {mask}", "2: pause", "jmp 2b",
            mask = in(reg) MASK, in("r12") masked, options(noreturn),
        );
    }
}

#[cfg(target_arch = "aarch64")]
fn spin_holding(masked: usize) -> ! {
    // SAFETY: only registers are touched; the loop never ends, as the signature says.
    unsafe {
        std::arch::asm!(
            "eor x20, x20, {mask}", "2: yield", "b 2b",
            mask = in(reg) MASK, in("x20") masked, options(noreturn),
        );
    }
}

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
fn main() {
    let (ready, spinning) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let masked = allocate_hidden();
        scrub_stack();
        let _ = ready.send(());
        spin_holding(masked);
    });
    let _ = spinning.recv();
    // The worker is in its loop well before this.
    std::thread::sleep(std::time::Duration::from_millis(50));
    println!("exiting with the worker still spinning");
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn main() {
    println!("register_held needs x86_64 or aarch64");
}
