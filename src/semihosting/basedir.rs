//! Host file I/O for a program, opt in: `monitor arm semihosting_basedir DIR` (OpenOCD's word)
//! lets SYS_OPEN open files inside DIR, for test harnesses that write result files or coverage
//! data. Off by default: without a base directory only `:tt` and `:semihosting-features` open.
//!
//! A name the program gives is a path relative to DIR. Refused, with nothing opened or created:
//! an absolute path, a `..` component, and any name whose file, or whose directory for a new
//! file, lies outside DIR once symbolic links are followed. Only regular files open (a FIFO
//! would make the call, and the chip held while it is served, wait for a writer).
//!
//! The check and the open are two steps: a host process that swaps a directory inside DIR for a
//! symbolic link between them could redirect one open. The program itself cannot (semihosting
//! has no call that creates links); DIR is meant for a harness's own scratch directory.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Component, Path, PathBuf};

use super::ops::errno;

/// The directory a program's host files are confined to (canonical: symbolic links resolved).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseDir {
    root: PathBuf,
}

/// A directory that cannot serve as the base.
#[derive(Debug, thiserror::Error)]
pub enum BaseDirError {
    /// It does not exist or cannot be resolved.
    #[error("{}: {source}", .dir.display())]
    Unusable {
        /// As given.
        dir: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// It exists but is no directory.
    #[error("{} is not a directory", .0.display())]
    NotADirectory(PathBuf),
}

/// Why a name the program gave was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameRefusal {
    /// No name at all.
    #[error("the name is empty")]
    Empty,
    /// `/etc/passwd` and the like.
    #[error("absolute paths are refused: names are relative to the base directory")]
    Absolute,
    /// `../x`.
    #[error("`..` is refused: it leads out of the base directory")]
    Parent,
    /// A symbolic link (of the file or of a directory on the way) leads out of the base.
    #[error("it leads out of the base directory (through a symbolic link)")]
    Outside,
    /// A directory, a FIFO, a device.
    #[error("it is not a regular file")]
    NotAFile,
    /// Not one of the twelve ISO C modes.
    #[error("the open mode is not one of the ISO C modes 0..=11")]
    BadMode,
}

/// Why a host file did not open.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The name breaks the rules.
    #[error("refused: {0}")]
    Refused(#[from] NameRefusal),
    /// The host said no (no such file, no permission…).
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl OpenError {
    /// The errno SYS_ERRNO reports for it: EACCES for a refused name, EINVAL for a bad mode,
    /// the host's own number otherwise.
    pub fn errno(&self) -> i32 {
        match self {
            OpenError::Refused(NameRefusal::BadMode | NameRefusal::Empty) => errno::EINVAL,
            OpenError::Refused(_) => errno::EACCES,
            OpenError::Io(e) => io_errno(e),
        }
    }
}

/// The errno for a host I/O error (Linux numbers, which is what the host uses on Linux).
pub fn io_errno(e: &io::Error) -> i32 {
    match e.raw_os_error() {
        Some(n) => n,
        None => match e.kind() {
            io::ErrorKind::NotFound => errno::ENOENT,
            io::ErrorKind::PermissionDenied => errno::EACCES,
            _ => errno::EIO,
        },
    }
}

/// What an ISO C open mode (`fopen`'s, numbered as SYS_OPEN numbers them) asks of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenMode {
    /// The file is read.
    pub read: bool,
    /// The file is written.
    pub write: bool,
    /// Writes go to the end.
    pub append: bool,
    /// A missing file is created (and an existing one emptied, unless appending).
    pub create: bool,
}

impl OpenMode {
    /// SYS_OPEN's mode numbers: 0–3 `r` `rb` `r+` `r+b`, 4–7 `w` `wb` `w+` `w+b`, 8–11 `a` `ab`
    /// `a+` `a+b` (`b` means nothing on the host).
    pub fn from_number(mode: u32) -> Option<OpenMode> {
        let plus = mode & 2 != 0;
        Some(match mode {
            0..=3 => OpenMode {
                read: true,
                write: plus,
                append: false,
                create: false,
            },
            4..=7 => OpenMode {
                read: plus,
                write: true,
                append: false,
                create: true,
            },
            8..=11 => OpenMode {
                read: plus,
                write: true,
                append: true,
                create: true,
            },
            _ => return None,
        })
    }

    fn options(self) -> OpenOptions {
        let mut options = OpenOptions::new();
        options
            .read(self.read)
            .write(self.write && !self.append)
            .append(self.append)
            .create(self.create)
            .truncate(self.create && !self.append);
        options
    }
}

impl BaseDir {
    /// `dir` as the base: it must exist and be a directory. A relative `dir` is taken from the
    /// server's working directory.
    pub fn new(dir: &Path) -> Result<BaseDir, BaseDirError> {
        let root = std::fs::canonicalize(dir).map_err(|source| BaseDirError::Unusable {
            dir: dir.to_path_buf(),
            source,
        })?;
        if !root.is_dir() {
            return Err(BaseDirError::NotADirectory(dir.to_path_buf()));
        }
        Ok(BaseDir { root })
    }

    /// The directory, symbolic links resolved.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Opens `name` (relative to the base) with SYS_OPEN's `mode`.
    pub fn open(&self, name: &str, mode: u32) -> Result<File, OpenError> {
        let mode = OpenMode::from_number(mode).ok_or(NameRefusal::BadMode)?;
        let path = self.resolve(name)?;
        let file = mode.options().open(&path)?;
        // Checked again on what was opened: the name may have changed in between.
        if !file.metadata()?.is_file() {
            return Err(NameRefusal::NotAFile.into());
        }
        Ok(file)
    }

    /// Where `name` leads, inside the base, or why it is refused. An existing file is resolved
    /// through its symbolic links; a new one through its directory's.
    pub fn resolve(&self, name: &str) -> Result<PathBuf, OpenError> {
        let relative = check_name(name)?;
        let joined = self.root.join(relative);
        match std::fs::symlink_metadata(&joined) {
            Ok(_) => {
                // A link to nowhere cannot be checked: refused like one that leads out.
                let target = std::fs::canonicalize(&joined).map_err(|_| NameRefusal::Outside)?;
                if !target.starts_with(&self.root) {
                    return Err(NameRefusal::Outside.into());
                }
                let metadata = std::fs::metadata(&target)?;
                if !metadata.is_file() {
                    return Err(NameRefusal::NotAFile.into());
                }
                Ok(target)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let (Some(parent), Some(file_name)) = (joined.parent(), joined.file_name()) else {
                    return Err(NameRefusal::Empty.into());
                };
                let parent = std::fs::canonicalize(parent)?;
                if !parent.starts_with(&self.root) {
                    return Err(NameRefusal::Outside.into());
                }
                Ok(parent.join(file_name))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The rules that need no file system: a relative name without `..`.
fn check_name(name: &str) -> Result<&Path, NameRefusal> {
    if name.is_empty() || name.contains('\0') {
        return Err(NameRefusal::Empty);
    }
    let path = Path::new(name);
    let mut normal = 0;
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => return Err(NameRefusal::Absolute),
            Component::ParentDir => return Err(NameRefusal::Parent),
            Component::CurDir => {}
            Component::Normal(_) => normal += 1,
        }
    }
    if normal == 0 {
        return Err(NameRefusal::Empty);
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_follow_iso_c() {
        let r = OpenMode::from_number(0).unwrap();
        assert!(r.read && !r.write && !r.create);
        let r_plus = OpenMode::from_number(3).unwrap();
        assert!(r_plus.read && r_plus.write && !r_plus.create);
        let w = OpenMode::from_number(4).unwrap();
        assert!(!w.read && w.write && w.create && !w.append);
        let w_plus = OpenMode::from_number(6).unwrap();
        assert!(w_plus.read && w_plus.write);
        let a = OpenMode::from_number(8).unwrap();
        assert!(!a.read && a.append && a.create);
        let a_plus = OpenMode::from_number(11).unwrap();
        assert!(a_plus.read && a_plus.append);
        assert_eq!(OpenMode::from_number(12), None);
    }

    #[test]
    fn names_are_relative_and_stay_below() {
        assert_eq!(check_name("/etc/passwd"), Err(NameRefusal::Absolute));
        assert_eq!(check_name("../x"), Err(NameRefusal::Parent));
        assert_eq!(check_name("a/../../x"), Err(NameRefusal::Parent));
        assert_eq!(check_name("a/.."), Err(NameRefusal::Parent));
        assert_eq!(check_name(""), Err(NameRefusal::Empty));
        assert_eq!(check_name("."), Err(NameRefusal::Empty));
        assert_eq!(check_name("a\0b"), Err(NameRefusal::Empty));
        assert_eq!(
            check_name("out/result.txt"),
            Ok(Path::new("out/result.txt"))
        );
        assert_eq!(check_name("./gcov.gcda"), Ok(Path::new("./gcov.gcda")));
    }

    #[cfg(unix)]
    #[test]
    fn files_open_inside_and_links_out_are_refused() {
        use std::io::{Read, Write};
        let top = tempfile::tempdir().unwrap();
        let base_dir = top.path().join("base");
        std::fs::create_dir_all(base_dir.join("sub")).unwrap();
        std::fs::create_dir(top.path().join("outside")).unwrap();
        std::fs::write(top.path().join("secret"), "secret").unwrap();
        std::os::unix::fs::symlink(top.path().join("outside"), base_dir.join("out")).unwrap();
        std::os::unix::fs::symlink(top.path().join("secret"), base_dir.join("secret-link"))
            .unwrap();
        std::os::unix::fs::symlink(base_dir.join("sub"), base_dir.join("in")).unwrap();
        std::os::unix::fs::symlink(top.path().join("nowhere"), base_dir.join("dangling")).unwrap();
        let base = BaseDir::new(&base_dir).unwrap();

        let mut f = base.open("sub/result.txt", 4).unwrap();
        f.write_all(b"hello").unwrap();
        drop(f);
        let mut text = String::new();
        base.open("in/result.txt", 0)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "hello", "a link that stays inside is followed");

        let refused = |name: &str, mode: u32| match base.open(name, mode) {
            Err(OpenError::Refused(why)) => why,
            other => panic!("{name}: {other:?}"),
        };
        assert_eq!(refused("out/x", 4), NameRefusal::Outside);
        assert_eq!(refused("secret-link", 0), NameRefusal::Outside);
        assert_eq!(refused("dangling", 4), NameRefusal::Outside);
        assert_eq!(refused("../x", 4), NameRefusal::Parent);
        assert_eq!(refused("/etc/passwd", 0), NameRefusal::Absolute);
        assert_eq!(refused("sub", 0), NameRefusal::NotAFile);
        assert_eq!(refused("x", 12), NameRefusal::BadMode);
        assert!(!top.path().join("outside/x").exists());
        assert!(!top.path().join("nowhere").exists());
        match base.open("missing.txt", 0) {
            Err(e @ OpenError::Io(_)) => assert_eq!(e.errno(), errno::ENOENT),
            other => panic!("{other:?}"),
        }
        assert_eq!(refused("out/x", 4), NameRefusal::Outside);
        assert_eq!(
            OpenError::Refused(NameRefusal::Outside).errno(),
            errno::EACCES
        );
    }

    #[test]
    fn the_base_must_be_a_directory() {
        let top = tempfile::tempdir().unwrap();
        let file = top.path().join("f");
        std::fs::write(&file, "").unwrap();
        assert!(matches!(
            BaseDir::new(&file),
            Err(BaseDirError::NotADirectory(_))
        ));
        assert!(matches!(
            BaseDir::new(&top.path().join("none")),
            Err(BaseDirError::Unusable { .. })
        ));
    }
}
