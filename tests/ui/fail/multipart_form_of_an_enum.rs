use oxapi::FromMultipart;

#[derive(FromMultipart)]
enum Upload {
    File,
}

fn main() {}
