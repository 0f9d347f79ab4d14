//! 50 pairs of `Rc<RefCell<Node>>` that point at each other, every handle dropped: 100
//! blocks lost in 50 cycles. No block is a definite leak: each is pointed to by its
//! partner, and nothing outside a pair points in.

use std::cell::RefCell;
use std::rc::Rc;

#[cfg(memleak)]
#[global_allocator]
static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();

struct Node {
    _label: u64,
    partner: Option<Rc<RefCell<Node>>>,
}

#[inline(never)]
fn make_pair(label: u64) {
    let left = Rc::new(RefCell::new(Node {
        _label: label,
        partner: None,
    }));
    let right = Rc::new(RefCell::new(Node {
        _label: label + 1,
        partner: Some(Rc::clone(&left)),
    }));
    left.borrow_mut().partner = Some(Rc::clone(&right));
    std::hint::black_box((&left, &right));
}

fn main() {
    for pair in 0..50 {
        make_pair(pair * 2);
    }
    println!("rc_cycle: dropped 50 pairs of Rc<RefCell<Node>> that point at each other");
}
