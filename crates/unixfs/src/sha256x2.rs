//! The SHA-256 of a leaf and of the whole file in one pass over the bytes.
//!
//! A bucket import needs two digests of every byte: each raw leaf's (its CID) and the whole
//! file's (`content_hash`, `sha256sum`'s value). When chunks are a multiple of 64 bytes, every
//! leaf starts on a 64-byte block boundary of the file, so the leaf's state and the file's
//! state consume the same message blocks. On x86_64 with SHA-NI, [`leaf_and_file`] computes each
//! block's message schedule once and runs the rounds of both states interleaved: one stream is
//! bound by the latency of `sha256rnds2`, so a second, independent chain fills the pipeline at
//! little extra cost (Linux's `sha256_ni_x2` does the same for fs-verity). Without SHA-NI, when
//! the file state is not on a block boundary, and for the tail and padding, each state is
//! compressed on its own with `sha2`'s compression function, so the digests are always sha2's.

use sha2::block_api::compress256;

/// The initial hash value (FIPS 180-4, 5.3.3).
const IV: [u32; 8] =
    [0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19];

/// A running SHA-256: the chaining state, a partial block and the length so far.
#[derive(Debug, Clone)]
pub struct Sha256Stream {
    state: [u32; 8],
    block: [u8; 64],
    /// Bytes of `block` in use; always below 64 between calls.
    buffered: usize,
    /// Bytes hashed in all, buffered ones included.
    len: u64,
}

impl Default for Sha256Stream {
    fn default() -> Self {
        Sha256Stream { state: IV, block: [0; 64], buffered: 0, len: 0 }
    }
}

impl Sha256Stream {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `bytes` to the message.
    pub fn update(&mut self, mut bytes: &[u8]) {
        self.len += bytes.len() as u64;
        if self.buffered > 0 {
            let take = bytes.len().min(64 - self.buffered);
            self.block[self.buffered..self.buffered + take].copy_from_slice(&bytes[..take]);
            self.buffered += take;
            bytes = &bytes[take..];
            if self.buffered < 64 {
                return;
            }
            compress256(&mut self.state, &[self.block]);
            self.buffered = 0;
        }
        let (blocks, rest) = bytes.as_chunks::<64>();
        compress256(&mut self.state, blocks);
        self.block[..rest.len()].copy_from_slice(rest);
        self.buffered = rest.len();
    }

    /// The digest: the message padded with 0x80, zeros and its length in bits.
    pub fn finalize(mut self) -> [u8; 32] {
        let bits = self.len.wrapping_mul(8);
        let mut tail = [0u8; 128];
        tail[..self.buffered].copy_from_slice(&self.block[..self.buffered]);
        tail[self.buffered] = 0x80;
        // The length takes the last 8 bytes; a block with no room for it spills into a second.
        let end = if self.buffered < 56 { 64 } else { 128 };
        tail[end - 8..end].copy_from_slice(&bits.to_be_bytes());
        let (blocks, _) = tail[..end].as_chunks::<64>();
        compress256(&mut self.state, blocks);
        let mut out = [0u8; 32];
        for (bytes, word) in out.chunks_exact_mut(4).zip(self.state) {
            bytes.copy_from_slice(&word.to_be_bytes());
        }
        out
    }
}

/// The SHA-256 of `leaf`, with `file` advanced over the same bytes: one pass where the CPU has
/// SHA-NI and `file` is on a block boundary, two otherwise. Same result either way.
pub fn leaf_and_file(leaf: &[u8], file: &mut Sha256Stream) -> [u8; 32] {
    leaf_and_file_with(leaf, file, fused_available())
}

/// [`leaf_and_file`], choosing the path (`fused` is only honoured where it is available).
fn leaf_and_file_with(leaf: &[u8], file: &mut Sha256Stream, fused: bool) -> [u8; 32] {
    let mut own = Sha256Stream::new();
    let mut rest = leaf;
    if file.buffered == 0 {
        let (blocks, tail) = leaf.as_chunks::<64>();
        compress_two(&mut own.state, &mut file.state, blocks, fused);
        let whole = (leaf.len() - tail.len()) as u64;
        own.len = whole;
        file.len += whole;
        rest = tail;
    }
    own.update(rest);
    file.update(rest);
    own.finalize()
}

/// Compresses `blocks` into both states.
fn compress_two(a: &mut [u32; 8], b: &mut [u32; 8], blocks: &[[u8; 64]], fused: bool) {
    if fused && fused_available() {
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: the CPU has the features `x86::compress_two` is compiled for (checked
            // just above, at run time).
            unsafe { x86::compress_two(a, b, blocks) };
            return;
        }
    }
    compress256(a, blocks);
    compress256(b, blocks);
}

/// Whether this CPU runs the fused path (SHA-NI with SSSE3 and SSE4.1).
#[cfg(target_arch = "x86_64")]
pub fn fused_available() -> bool {
    std::is_x86_feature_detected!("sha")
        && std::is_x86_feature_detected!("sse4.1")
        && std::is_x86_feature_detected!("ssse3")
}

/// Whether this CPU runs the fused path: only x86_64 has one.
#[cfg(not(target_arch = "x86_64"))]
pub fn fused_available() -> bool {
    false
}

/// SHA-NI rounds for two states over one message schedule, after the layout of `sha2`'s own
/// x86 backend (and Intel's white paper): the state lives as ABEF/CDGH register pairs and each
/// `sha256rnds2` does two rounds.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::*;

    /// The round constants (FIPS 180-4, 4.2.2).
    const K: [u32; 64] = [
        0x428a_2f98,
        0x7137_4491,
        0xb5c0_fbcf,
        0xe9b5_dba5,
        0x3956_c25b,
        0x59f1_11f1,
        0x923f_82a4,
        0xab1c_5ed5,
        0xd807_aa98,
        0x1283_5b01,
        0x2431_85be,
        0x550c_7dc3,
        0x72be_5d74,
        0x80de_b1fe,
        0x9bdc_06a7,
        0xc19b_f174,
        0xe49b_69c1,
        0xefbe_4786,
        0x0fc1_9dc6,
        0x240c_a1cc,
        0x2de9_2c6f,
        0x4a74_84aa,
        0x5cb0_a9dc,
        0x76f9_88da,
        0x983e_5152,
        0xa831_c66d,
        0xb003_27c8,
        0xbf59_7fc7,
        0xc6e0_0bf3,
        0xd5a7_9147,
        0x06ca_6351,
        0x1429_2967,
        0x27b7_0a85,
        0x2e1b_2138,
        0x4d2c_6dfc,
        0x5338_0d13,
        0x650a_7354,
        0x766a_0abb,
        0x81c2_c92e,
        0x9272_2c85,
        0xa2bf_e8a1,
        0xa81a_664b,
        0xc24b_8b70,
        0xc76c_51a3,
        0xd192_e819,
        0xd699_0624,
        0xf40e_3585,
        0x106a_a070,
        0x19a4_c116,
        0x1e37_6c08,
        0x2748_774c,
        0x34b0_bcb5,
        0x391c_0cb3,
        0x4ed8_aa4a,
        0x5b9c_ca4f,
        0x682e_6ff3,
        0x748f_82ee,
        0x78a5_636f,
        0x84c8_7814,
        0x8cc7_0208,
        0x90be_fffa,
        0xa450_6ceb,
        0xbef9_a3f7,
        0xc671_78f2,
    ];

    /// One state as SHA-NI holds it.
    #[derive(Clone, Copy)]
    struct Regs {
        abef: __m128i,
        cdgh: __m128i,
    }

    #[inline]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn load(state: &[u32; 8]) -> Regs {
        let dcba = _mm_set_epi32(state[3] as i32, state[2] as i32, state[1] as i32, state[0] as i32);
        let hgfe = _mm_set_epi32(state[7] as i32, state[6] as i32, state[5] as i32, state[4] as i32);
        let cdab = _mm_shuffle_epi32(dcba, 0xB1);
        let efgh = _mm_shuffle_epi32(hgfe, 0x1B);
        Regs { abef: _mm_alignr_epi8(cdab, efgh, 8), cdgh: _mm_blend_epi16(efgh, cdab, 0xF0) }
    }

    #[inline]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn store(regs: Regs, state: &mut [u32; 8]) {
        let feba = _mm_shuffle_epi32(regs.abef, 0x1B);
        let dchg = _mm_shuffle_epi32(regs.cdgh, 0xB1);
        let dcba = _mm_blend_epi16(feba, dchg, 0xF0);
        let hgef = _mm_alignr_epi8(dchg, feba, 8);
        let lanes = [dcba, hgef].map(|v| {
            [_mm_extract_epi32(v, 0), _mm_extract_epi32(v, 1), _mm_extract_epi32(v, 2), _mm_extract_epi32(v, 3)]
        });
        for (word, lane) in state.iter_mut().zip(lanes.as_flattened()) {
            *word = *lane as u32;
        }
    }

    /// Four rounds of both states on the scheduled words `w` (rounds 4r..4r+3). The two
    /// dependency chains are independent, so their `sha256rnds2` overlap in the pipeline.
    #[inline]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn rounds4(r: usize, a: &mut Regs, b: &mut Regs, w: __m128i) {
        let k = _mm_set_epi32(K[4 * r + 3] as i32, K[4 * r + 2] as i32, K[4 * r + 1] as i32, K[4 * r] as i32);
        let wk = _mm_add_epi32(w, k);
        a.cdgh = _mm_sha256rnds2_epu32(a.cdgh, a.abef, wk);
        b.cdgh = _mm_sha256rnds2_epu32(b.cdgh, b.abef, wk);
        let wk_high = _mm_shuffle_epi32(wk, 0x0E);
        a.abef = _mm_sha256rnds2_epu32(a.abef, a.cdgh, wk_high);
        b.abef = _mm_sha256rnds2_epu32(b.abef, b.cdgh, wk_high);
    }

    /// The block's 16 words, big-endian, four to a register.
    #[inline]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn load_block(block: &[u8; 64]) -> [__m128i; 4] {
        let swap = _mm_set_epi64x(0x0C0D_0E0F_0809_0A0B, 0x0405_0607_0001_0203);
        core::array::from_fn(|i| {
            // SAFETY: bytes 16i..16i+16 of a 64-byte array, i < 4; loadu needs no alignment.
            let w = unsafe { _mm_loadu_si128(block.as_ptr().add(16 * i).cast()) };
            _mm_shuffle_epi8(w, swap)
        })
    }

    /// Compresses every block into both states, each block's schedule computed once.
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    pub(super) fn compress_two(state_a: &mut [u32; 8], state_b: &mut [u32; 8], blocks: &[[u8; 64]]) {
        let mut a = load(state_a);
        let mut b = load(state_b);
        for block in blocks {
            let (a_in, b_in) = (a, b);
            let mut w = load_block(block);
            for (r, &wr) in w.iter().enumerate() {
                rounds4(r, &mut a, &mut b, wr);
            }
            // Rounds 16..64: w[i] becomes the next four words of the schedule, then is used.
            for r in 4..16 {
                let i = r % 4;
                let next = _mm_sha256msg1_epu32(w[i], w[(i + 1) % 4]);
                let next = _mm_add_epi32(next, _mm_alignr_epi8(w[(i + 3) % 4], w[(i + 2) % 4], 4));
                w[i] = _mm_sha256msg2_epu32(next, w[(i + 3) % 4]);
                rounds4(r, &mut a, &mut b, w[i]);
            }
            a = Regs { abef: _mm_add_epi32(a.abef, a_in.abef), cdgh: _mm_add_epi32(a.cdgh, a_in.cdgh) };
            b = Regs { abef: _mm_add_epi32(b.abef, b_in.abef), cdgh: _mm_add_epi32(b.cdgh, b_in.cdgh) };
        }
        store(a, state_a);
        store(b, state_b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    /// Bytes from a xorshift generator, seeded per call, so every size sees different data.
    fn random(len: usize, seed: u64) -> Vec<u8> {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 32) as u8
            })
            .collect()
    }

    /// Both paths, where the fused one exists (on a CPU without SHA-NI both are portable).
    fn paths() -> [bool; 2] {
        [false, true]
    }

    #[test]
    fn the_stream_equals_sha2_at_every_padding_edge() {
        for len in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4097] {
            let data = random(len, len as u64);
            // Whole, and fed in uneven pieces that straddle block boundaries.
            let mut pieces = Sha256Stream::new();
            for piece in data.chunks(37) {
                pieces.update(piece);
            }
            let mut whole = Sha256Stream::new();
            whole.update(&data);
            let expected: [u8; 32] = Sha256::digest(&data).into();
            assert_eq!(whole.finalize(), expected, "{len} bytes whole");
            assert_eq!(pieces.finalize(), expected, "{len} bytes in pieces");
        }
    }

    #[test]
    fn leaf_and_file_digests_equal_sha2_for_aligned_chunks() {
        let chunk = 1 << 14;
        for fused in paths() {
            for len in [0, 1, 55, 56, 63, 64, 65, chunk - 1, chunk, chunk + 1, 7 * chunk + 13, 9 * chunk] {
                let data = random(len, 7 + len as u64);
                let mut file = Sha256Stream::new();
                let chunks: Vec<&[u8]> = if len == 0 { vec![&data[..]] } else { data.chunks(chunk).collect() };
                for (i, c) in chunks.iter().enumerate() {
                    let leaf = leaf_and_file_with(c, &mut file, fused);
                    let expected: [u8; 32] = Sha256::digest(c).into();
                    assert_eq!(leaf, expected, "leaf {i} of {len} bytes, fused {fused}");
                }
                let expected: [u8; 32] = Sha256::digest(&data).into();
                assert_eq!(file.finalize(), expected, "file of {len} bytes, fused {fused}");
            }
        }
    }

    #[test]
    fn leaf_and_file_digests_equal_sha2_for_unaligned_chunkers() {
        // Chunks that leave the file state mid-block: the next leaf cannot share its blocks.
        for fused in paths() {
            for chunk in [1, 55, 63, 65, 1000, 4095, 4097] {
                let data = random(5 * chunk + 17, chunk as u64);
                let mut file = Sha256Stream::new();
                for c in data.chunks(chunk) {
                    let expected: [u8; 32] = Sha256::digest(c).into();
                    assert_eq!(leaf_and_file_with(c, &mut file, fused), expected, "chunk {chunk}, fused {fused}");
                }
                let expected: [u8; 32] = Sha256::digest(&data).into();
                assert_eq!(file.finalize(), expected, "file in chunks of {chunk}, fused {fused}");
            }
        }
    }

    #[test]
    fn the_two_states_of_the_fused_compression_stay_apart() {
        // Different starting states over the same blocks: each must equal its own compression.
        let blocks: Vec<[u8; 64]> = random(64 * 5, 3).as_chunks::<64>().0.to_vec();
        let mut a = IV;
        let mut b = IV;
        compress256(&mut b, &blocks[..1]);
        let (mut want_a, mut want_b) = (a, b);
        compress256(&mut want_a, &blocks[1..]);
        compress256(&mut want_b, &blocks[1..]);
        for fused in paths() {
            let (mut a2, mut b2) = (a, b);
            compress_two(&mut a2, &mut b2, &blocks[1..], fused);
            assert_eq!((a2, b2), (want_a, want_b), "fused {fused}");
        }
        compress_two(&mut a, &mut b, &[], true);
        assert_eq!(a, IV);
    }
}
