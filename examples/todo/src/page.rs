//! The front page at `/`: plain HTML and JavaScript (`static/index.html`), no build step. It
//! signs in, shows a list and follows its feed, so changes made anywhere appear as they
//! happen. Compiled into the binary, so it is served whatever the working directory.

use oxapi::prelude::*;

/// The front page. Not an operation of the API: hidden from the document.
#[get("/", hidden)]
pub async fn front_page() -> Html<&'static str> {
    Html(include_str!("../static/index.html"))
}
