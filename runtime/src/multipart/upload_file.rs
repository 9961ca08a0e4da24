//! [`UploadFile`]: an uploaded file, in memory while small, in a temporary file past the
//! configured size (FastAPI's `SpooledTemporaryFile`).

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use tempfile::TempPath;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};

use super::Field;
use super::config::MultipartConfig;
use crate::extract::Rejection;

/// A file part of a multipart body, read to its end: in memory up to the spool threshold
/// ([`MultipartConfig::spool_threshold`]), past it in a temporary file that is removed when the
/// `UploadFile` is dropped, however the request ends (success, error, a client that left).
///
/// Read it whole with [`bytes`](Self::bytes), stream it with [`reader`](Self::reader) or
/// [`copy_to`](Self::copy_to), or keep it with [`persist`](Self::persist).
#[derive(Debug)]
pub struct UploadFile {
    field_name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    size: u64,
    data: Data,
}

#[derive(Debug)]
enum Data {
    Memory(Bytes),
    /// Removed from disk when dropped.
    Disk(TempPath),
}

impl UploadFile {
    /// Reads `field` to its end, spooling it to a temporary file past the threshold. The
    /// temporary file exists only inside the value returned, so an error (or the future being
    /// dropped) removes it.
    pub(super) async fn spool(
        mut field: Field,
        config: &MultipartConfig,
    ) -> Result<Self, Rejection> {
        let threshold = config.spool_threshold_value();
        let mut memory = BytesMut::new();
        let mut disk: Option<(tokio::fs::File, TempPath)> = None;
        let mut size = 0u64;
        while let Some(chunk) = field.chunk().await? {
            size += chunk.len() as u64;
            if let Some((file, _)) = disk.as_mut() {
                file.write_all(&chunk).await.map_err(storage)?;
                continue;
            }
            if memory.len() + chunk.len() <= threshold {
                memory.extend_from_slice(&chunk);
                continue;
            }
            let (mut file, path) = temp_file(config.spool_dir_value()).await?;
            file.write_all(&memory).await.map_err(storage)?;
            file.write_all(&chunk).await.map_err(storage)?;
            memory = BytesMut::new();
            disk = Some((file, path));
        }
        let data = match disk {
            Some((mut file, path)) => {
                file.flush().await.map_err(storage)?;
                Data::Disk(path)
            }
            None => Data::Memory(memory.freeze()),
        };
        Ok(Self {
            field_name: field.name().to_owned(),
            file_name: field.file_name().map(str::to_owned),
            content_type: field.content_type().map(str::to_owned),
            size,
            data,
        })
    }

    /// The name of the form field it came in.
    pub fn field_name(&self) -> &str {
        &self.field_name
    }

    /// The file name the client sent, as it sent it: never use it as a path unchecked.
    pub fn file_name(&self) -> Option<&str> {
        self.file_name.as_deref()
    }

    /// The part's `Content-Type`, as the client sent it.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// Its size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The temporary file holding it, if it was spooled to disk.
    pub fn path(&self) -> Option<&Path> {
        match &self.data {
            Data::Memory(_) => None,
            Data::Disk(path) => Some(path),
        }
    }

    /// The whole file in memory (read from disk if it was spooled).
    ///
    /// # Errors
    ///
    /// Reading the temporary file failed.
    pub async fn bytes(&self) -> io::Result<Bytes> {
        match &self.data {
            Data::Memory(bytes) => Ok(bytes.clone()),
            Data::Disk(path) => tokio::fs::read(path).await.map(Bytes::from),
        }
    }

    /// A reader over the file, to stream it elsewhere without holding it in memory.
    ///
    /// # Errors
    ///
    /// Opening the temporary file failed.
    pub async fn reader(&self) -> io::Result<UploadReader> {
        Ok(UploadReader(match &self.data {
            Data::Memory(bytes) => Reader::Memory(bytes.clone()),
            Data::Disk(path) => Reader::Disk(tokio::fs::File::open(path).await?),
        }))
    }

    /// Copies the file into `writer`, returning the bytes copied.
    ///
    /// # Errors
    ///
    /// Reading the file or writing to `writer` failed.
    pub async fn copy_to<W: AsyncWrite + Unpin + ?Sized>(&self, writer: &mut W) -> io::Result<u64> {
        let mut reader = self.reader().await?;
        tokio::io::copy(&mut reader, writer).await
    }

    /// Keeps the file at `path` (moved there when it is on disk and the move is possible,
    /// copied otherwise), so it outlives the request.
    ///
    /// # Errors
    ///
    /// Writing `path` failed.
    pub async fn persist(self, path: impl Into<PathBuf>) -> io::Result<()> {
        let target = path.into();
        match self.data {
            Data::Memory(bytes) => tokio::fs::write(target, bytes).await,
            Data::Disk(temp) => {
                let source = temp.to_path_buf();
                match tokio::fs::rename(&source, &target).await {
                    // The temporary path is gone now; nothing is left to remove.
                    Ok(()) => {
                        let _ = temp.keep();
                        Ok(())
                    }
                    // Another file system: copy, and let `temp` remove the original.
                    Err(_) => tokio::fs::copy(&source, &target).await.map(drop),
                }
            }
        }
    }
}

/// Makes a temporary file in `dir` (a blocking call, so off the event loop).
async fn temp_file(dir: PathBuf) -> Result<(tokio::fs::File, TempPath), Rejection> {
    let made = tokio::task::spawn_blocking(move || tempfile::NamedTempFile::new_in(dir))
        .await
        .map_err(|_| Rejection::Storage)?
        .map_err(storage)?;
    let (file, path) = made.into_parts();
    Ok((tokio::fs::File::from_std(file), path))
}

/// A failure to write an upload to disk is the server's, not the client's: logged, and a 500.
fn storage(error: io::Error) -> Rejection {
    tracing::error!(%error, "an upload could not be written to its temporary file");
    Rejection::Storage
}

/// A reader over an [`UploadFile`], from memory or from its temporary file.
#[derive(Debug)]
pub struct UploadReader(Reader);

#[derive(Debug)]
enum Reader {
    Memory(Bytes),
    Disk(tokio::fs::File),
}

impl AsyncRead for UploadReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.get_mut().0 {
            Reader::Memory(bytes) => {
                let n = bytes.len().min(buf.remaining());
                buf.put_slice(&bytes.split_to(n));
                Poll::Ready(Ok(()))
            }
            Reader::Disk(file) => Pin::new(file).poll_read(cx, buf),
        }
    }
}
