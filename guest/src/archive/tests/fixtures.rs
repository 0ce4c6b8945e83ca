//! Fixture files and helpers shared by the archive tests.

use crate::archive::header::{BLOCK_SIZE, Block, checksums};
use crate::archive::{Disassembler, Disassembly, Entry, Member};
use std::collections::HashMap;
use std::io::Read;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/archive/",
            $name
        ))
        .as_slice()
    };
}
pub(crate) use fixture;

/// A GNU tar archive, the tar-split 1.43 wrote for it, and the layer
/// record values 1.43 computed.
pub struct RealTar {
    pub name: &'static str,
    pub tar: &'static [u8],
    pub tar_split_gz: &'static [u8],
    pub diff_digest: &'static str,
    pub uids: &'static [u32],
    pub gids: &'static [u32],
}

/// Every real archive with its containers-storage results.
pub fn real_tars() -> Vec<RealTar> {
    vec![
        RealTar {
            name: "gnu",
            tar: fixture!("gnu.tar"),
            tar_split_gz: fixture!("gnu.tar-split.gz"),
            diff_digest: "sha256:cff8f52ee064caf6b17f1d2f5a088a30a3f17fa4d4c7c5fa8d03f5592d067bb0",
            uids: &[0, 7, 1000],
            gids: &[0, 8, 2000],
        },
        RealTar {
            name: "pax",
            tar: fixture!("pax.tar"),
            tar_split_gz: fixture!("pax.tar-split.gz"),
            diff_digest: "sha256:e5d520c02e28b5c8570c8db85fb1ac928c469899130f8ba660cc73f16471ed37",
            uids: &[0, 7, 1000],
            gids: &[0, 8, 2000],
        },
        RealTar {
            name: "ustar",
            tar: fixture!("ustar.tar"),
            tar_split_gz: fixture!("ustar.tar-split.gz"),
            diff_digest: "sha256:c0626c54505194118e641eaa30f029f02c727546c5d4d1f5b380e515b7f9f0ea",
            uids: &[0, 7, 1000],
            gids: &[0, 8, 2000],
        },
        RealTar {
            name: "gnu-b1",
            tar: fixture!("gnu-b1.tar"),
            tar_split_gz: fixture!("gnu-b1.tar-split.gz"),
            diff_digest: "sha256:782844b003eec4e9380c18f0601e81e9d204c0ea84cc86ac8a9db9e47e58346e",
            uids: &[0, 7, 1000],
            gids: &[0, 8, 2000],
        },
        RealTar {
            name: "empty",
            tar: &EMPTY_TAR,
            tar_split_gz: fixture!("empty.tar-split.gz"),
            diff_digest: "sha256:84ff92691f909a05b224e1c56abb4864f01b4f8e3c854e4bb4c7baf1d3f6d652",
            uids: &[],
            gids: &[],
        },
        RealTar {
            name: "paxglobal",
            tar: fixture!("paxglobal.tar"),
            tar_split_gz: fixture!("paxglobal.tar-split.gz"),
            diff_digest: "sha256:f42f3ca179ccb491bc0aee1efe783ee7c1b9a3c74d7d1dba8c6f892e79415180",
            uids: &[0, 1000],
            gids: &[0, 2000],
        },
        RealTar {
            name: "names",
            tar: fixture!("names.tar"),
            tar_split_gz: fixture!("names.tar-split.gz"),
            diff_digest: "sha256:1f1ab5eec8799be4d8c83c0b62790d435dfbf3e19556b90c2e846214a101af19",
            uids: &[0],
            gids: &[0],
        },
    ]
}

/// What `tar -cf empty.tar -T /dev/null` writes: one 10240-byte record of zeros.
pub static EMPTY_TAR: [u8; 10240] = [0; 10240];

/// The result of disassembling a tar while extracting every member.
pub struct Extracted {
    pub members: Vec<Member>,
    pub contents: HashMap<Vec<u8>, Vec<u8>>,
    pub done: Disassembly<Vec<Entry>>,
}

/// Disassembles `tar`, reading every member's content as an extractor would.
pub fn extract(tar: &[u8]) -> Extracted {
    let mut disassembler = Disassembler::new(tar, Vec::new());
    let mut members = Vec::new();
    let mut contents = HashMap::new();
    while let Some(member) = disassembler.next_member().expect("valid archive") {
        let mut content = Vec::new();
        disassembler.read_to_end(&mut content).unwrap();
        assert_eq!(content.len() as u64, member.content_len());
        contents.insert(member.path.clone(), content);
        members.push(member);
    }
    let done = disassembler.finish().unwrap();
    Extracted {
        members,
        contents,
        done,
    }
}

/// A ustar header block for `name` with raw `size` field bytes and a
/// correct checksum, for hand-made archives.
pub fn ustar_block(name: &str, typeflag: u8, size_field: &[u8]) -> Block {
    let mut block = [0; BLOCK_SIZE];
    block[..name.len()].copy_from_slice(name.as_bytes());
    block[100..108].copy_from_slice(b"0000644\0");
    block[108..116].copy_from_slice(b"0000000\0");
    block[116..124].copy_from_slice(b"0000000\0");
    block[124..124 + size_field.len()].copy_from_slice(size_field);
    block[136..148].copy_from_slice(b"00000000000\0");
    block[156] = typeflag;
    block[257..263].copy_from_slice(b"ustar\0");
    block[263..265].copy_from_slice(b"00");
    set_checksum(&mut block);
    block
}

/// Rewrites the checksum field of `block` to match its content.
pub fn set_checksum(block: &mut Block) {
    let (unsigned, _) = checksums(block);
    block[148..156].copy_from_slice(format!("{unsigned:06o}\0 ").as_bytes());
}

/// `parts` concatenated.
pub fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}
