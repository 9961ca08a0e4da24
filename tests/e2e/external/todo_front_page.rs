//! The todo service's front page in headless Chromium, driven over the DevTools protocol by
//! `tests/browser/todo_front_page.py`: sign up, add an item and see it arrive through the
//! feed, see another client's item appear live, tick an item done.

use std::process::Command;
use std::time::Duration;

use oxapi_tests::Server;
use todo::{Config, DatabaseConfig};

use super::{Scratch, blocking, run, tool, workspace_root};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the external tools; scripts/test.sh installs them and runs these"]
async fn the_todo_front_page_signs_in_adds_and_updates_live() {
    let python = tool("venv/bin/python");
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("todo.db").display());
    let server = Server::start(todo::app(Config::new(DatabaseConfig::url(url)))).await;
    let base = format!("http://{}", server.addr());
    let script = workspace_root().join("tests/browser/todo_front_page.py");
    let username = format!("page-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let finished = blocking(move || {
        let scratch = Scratch::new("todo-front-page");
        let mut command = Command::new(python);
        command
            .arg(script)
            .arg(base)
            .arg(username)
            .arg("correct horse battery staple");
        run(
            command,
            &scratch,
            "todo-front-page",
            Duration::from_secs(180),
        )
    })
    .await;
    assert!(
        finished.status.success(),
        "the todo front page failed in Chromium:\n{}",
        finished.output()
    );
    server.stop().await;
}
