//! Files: [`FileResponse`] streams one from disk with its validators and ranges;
//! [`StaticFiles`] serves a directory under a prefix.

mod range;
mod request;
mod response;
mod static_dir;

pub use request::FileRequest;
pub use response::FileResponse;
pub use static_dir::StaticFiles;
