//! The local corpus: a binary fuse filter over the first 64 bits of breached passwords' SHA-1
//! hashes, in a file with a small header, built from a hash list by `vestibule-idp
//! breached-filter` and loaded when the config is.
//!
//! File layout, little-endian: the magic `VSTBRPW\0`, a `u32` version (1), a `u64` count of
//! distinct hashes, the filter's seed (`u64`), segment length, segment length mask and segment
//! count length (`u32` each), the number of fingerprints (`u64`), then the `u16` fingerprints.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use xorf::{BinaryFuse16, Descriptor, Filter};

const MAGIC: &[u8; 8] = b"VSTBRPW\0";
const VERSION: u32 = 1;
/// Magic, version, count, seed, three segment fields and the fingerprint count.
const HEADER_LEN: usize = 8 + 4 + 8 + 8 + 4 * 3 + 8;

/// Why a corpus file cannot be built or loaded.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// The file cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a corpus of this version, or is cut short or inconsistent.
    #[error("{path}: not a breached-password corpus built by `vestibule-idp breached-filter` ({reason})")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A line of the hash list is not `SHA1HEX[:COUNT]`.
    #[error("{path} line {line}: expected 40 hexadecimal digits of a SHA-1 hash, optionally followed by ':COUNT'")]
    BadLine {
        /// The hash list.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
    },
    /// The filter could not be constructed (should not happen for distinct keys).
    #[error("building the filter: {0}")]
    Build(&'static str),
}

/// A loaded corpus.
pub struct Corpus {
    filter: BinaryFuse16,
    count: u64,
}

impl std::fmt::Debug for Corpus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Corpus").field("count", &self.count).finish()
    }
}

/// The filter key of a SHA-1 hash: its first 64 bits. With 16-bit fingerprints a password
/// outside the corpus is refused with a probability of about 1 in 65,000.
pub fn key(sha1: &[u8; 20]) -> u64 {
    let mut first = [0; 8];
    first.copy_from_slice(&sha1[..8]);
    u64::from_be_bytes(first)
}

impl Corpus {
    /// Builds a corpus from filter keys (repeats are fine).
    pub fn build(mut keys: Vec<u64>) -> Result<Self, CorpusError> {
        keys.sort_unstable();
        keys.dedup();
        let count = keys.len() as u64;
        let filter = BinaryFuse16::try_from(&keys).map_err(CorpusError::Build)?;
        Ok(Self { filter, count })
    }

    /// Reads a hash list (`SHA1HEX[:COUNT]` per line, as the Pwned Passwords downloader
    /// writes it; blank lines skipped) into a corpus.
    pub fn from_hash_list(path: &Path) -> Result<Self, CorpusError> {
        let io = |source| CorpusError::Io {
            path: path.to_owned(),
            source,
        };
        let reader = BufReader::new(std::fs::File::open(path).map_err(io)?);
        let mut keys = Vec::new();
        for (index, line) in reader.lines().enumerate() {
            let line = line.map_err(io)?;
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let hash = line.split(':').next().unwrap_or_default();
            let mut bytes = [0u8; 20];
            hex::decode_to_slice(hash, &mut bytes).map_err(|_| CorpusError::BadLine {
                path: path.to_owned(),
                line: index + 1,
            })?;
            keys.push(key(&bytes));
        }
        Self::build(keys)
    }

    /// Whether the password with this SHA-1 is (very likely) in the corpus.
    pub fn contains(&self, sha1: &[u8; 20]) -> bool {
        self.filter.contains(&key(sha1))
    }

    /// How many distinct hashes went in.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Writes the corpus file.
    pub fn write(&self, path: &Path) -> Result<(), CorpusError> {
        let io = |source| CorpusError::Io {
            path: path.to_owned(),
            source,
        };
        let mut out = BufWriter::new(std::fs::File::create(path).map_err(io)?);
        let descriptor = &self.filter.descriptor;
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&VERSION.to_le_bytes());
        header.extend_from_slice(&self.count.to_le_bytes());
        header.extend_from_slice(&descriptor.seed.to_le_bytes());
        header.extend_from_slice(&descriptor.segment_length.to_le_bytes());
        header.extend_from_slice(&descriptor.segment_length_mask.to_le_bytes());
        header.extend_from_slice(&descriptor.segment_count_length.to_le_bytes());
        header.extend_from_slice(&(self.filter.fingerprints.len() as u64).to_le_bytes());
        out.write_all(&header).map_err(io)?;
        for fingerprint in &self.filter.fingerprints {
            out.write_all(&fingerprint.to_le_bytes()).map_err(io)?;
        }
        out.flush().map_err(io)
    }

    /// Reads a corpus file, checking that its header fits its fingerprints.
    pub fn load(path: &Path) -> Result<Self, CorpusError> {
        let io = |source| CorpusError::Io {
            path: path.to_owned(),
            source,
        };
        let malformed = |reason: &str| CorpusError::Malformed {
            path: path.to_owned(),
            reason: reason.to_owned(),
        };
        let mut reader = BufReader::new(std::fs::File::open(path).map_err(io)?);
        let mut header = [0u8; HEADER_LEN];
        reader
            .read_exact(&mut header)
            .map_err(|_| malformed("shorter than its header"))?;
        let header = Header::parse(&header).map_err(malformed)?;
        let fingerprints = read_fingerprints(&mut reader, header.fingerprints).map_err(|error| match error {
            ReadError::Io(source) => io(source),
            ReadError::Short => malformed("shorter than its header says"),
            ReadError::Long => malformed("longer than its header says"),
        })?;
        Ok(Self {
            filter: BinaryFuse16 {
                descriptor: header.descriptor,
                fingerprints,
            },
            count: header.count,
        })
    }
}

struct Header {
    count: u64,
    descriptor: Descriptor,
    fingerprints: usize,
}

impl Header {
    fn parse(bytes: &[u8; HEADER_LEN]) -> Result<Self, &'static str> {
        let u32_at = |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
        let u64_at = |at: usize| {
            let mut eight = [0; 8];
            eight.copy_from_slice(&bytes[at..at + 8]);
            u64::from_le_bytes(eight)
        };
        if &bytes[..8] != MAGIC {
            return Err("wrong magic");
        }
        if u32_at(8) != VERSION {
            return Err("unknown version");
        }
        let descriptor = Descriptor {
            seed: u64_at(20),
            segment_length: u32_at(28),
            segment_length_mask: u32_at(32),
            segment_count_length: u32_at(36),
        };
        let fingerprints = usize::try_from(u64_at(40)).map_err(|_| "too large")?;
        // Lookups index the fingerprints through these fields: inconsistent ones would read out
        // of bounds, so they must describe exactly the array the builder makes.
        let length = u64::from(descriptor.segment_length);
        let consistent = length.is_power_of_two()
            && u64::from(descriptor.segment_length_mask) == length - 1
            && u64::from(descriptor.segment_count_length) % length == 0
            && u64::from(descriptor.segment_count_length) + 2 * length == fingerprints as u64;
        if !consistent {
            return Err("inconsistent filter header");
        }
        Ok(Self {
            count: u64_at(12),
            descriptor,
            fingerprints,
        })
    }
}

enum ReadError {
    Io(std::io::Error),
    Short,
    Long,
}

fn read_fingerprints(reader: &mut impl Read, count: usize) -> Result<Box<[u16]>, ReadError> {
    let mut fingerprints = Vec::with_capacity(count);
    let mut chunk = vec![0u8; 64 * 1024];
    while fingerprints.len() < count {
        let wanted = ((count - fingerprints.len()) * 2).min(chunk.len());
        let buffer = &mut chunk[..wanted];
        reader.read_exact(buffer).map_err(|error| match error.kind() {
            std::io::ErrorKind::UnexpectedEof => ReadError::Short,
            _ => ReadError::Io(error),
        })?;
        fingerprints.extend(
            buffer
                .chunks_exact(2)
                .map(|pair| u16::from_le_bytes([pair[0], pair[1]])),
        );
    }
    let mut extra = [0u8; 1];
    match reader.read(&mut extra) {
        Ok(0) => Ok(fingerprints.into_boxed_slice()),
        Ok(_) => Err(ReadError::Long),
        Err(error) => Err(ReadError::Io(error)),
    }
}

#[cfg(test)]
mod tests {
    use sha1::{Digest, Sha1};

    use super::*;

    fn sha1(password: &str) -> [u8; 20] {
        Sha1::digest(password.as_bytes()).into()
    }

    #[test]
    fn a_written_corpus_loads_and_knows_its_passwords() {
        let dir = std::env::temp_dir().join(format!("vestibule-corpus-{}", crate::random::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let list = dir.join("hashes.txt");
        let lines: Vec<String> = (0..2000)
            .map(|index| format!("{}:{index}", hex::encode_upper(sha1(&format!("leaked-{index}")))))
            .collect();
        std::fs::write(&list, lines.join("\r\n")).unwrap();
        let built = Corpus::from_hash_list(&list).unwrap();
        let file = dir.join("corpus.bin");
        built.write(&file).unwrap();
        let loaded = Corpus::load(&file).unwrap();
        assert_eq!(loaded.count(), 2000);
        assert!((0..2000).all(|index| loaded.contains(&sha1(&format!("leaked-{index}")))));
        let false_positives = (0..2000)
            .filter(|index| loaded.contains(&sha1(&format!("fresh-{index}"))))
            .count();
        assert!(false_positives < 3, "{false_positives} false positives");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_damaged_corpus_is_refused_naming_the_file() {
        let dir = std::env::temp_dir().join(format!("vestibule-corpus-{}", crate::random::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("corpus.bin");
        Corpus::build(vec![1, 2, 3]).unwrap().write(&file).unwrap();
        let bytes = std::fs::read(&file).unwrap();
        std::fs::write(&file, &bytes[..bytes.len() - 1]).unwrap();
        let error = Corpus::load(&file).unwrap_err().to_string();
        assert!(error.contains("corpus.bin") && error.contains("shorter"), "{error}");
        let mut wrong = bytes.clone();
        wrong[32] ^= 1;
        std::fs::write(&file, &wrong).unwrap();
        assert!(Corpus::load(&file).unwrap_err().to_string().contains("inconsistent"));
        std::fs::write(&file, b"hello").unwrap();
        assert!(Corpus::load(&file).unwrap_err().to_string().contains("header"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
