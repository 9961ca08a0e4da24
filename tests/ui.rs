//! Compile-fail tests: each file in `ui/` is a mistake a user can make, and its `.stderr`
//! pins the message oxapi gives. See `ui/README.md` before regenerating them.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}
