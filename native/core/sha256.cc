// SHA-256 (FIPS 180-4), written from the standard, for model checksums; on x86-64 CPUs with the
// SHA extensions the blocks go through their round instructions (chosen at run time, same hash).
#include "ensemble/sha256.h"

#include <array>
#include <atomic>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace ensemble::core {
namespace {

constexpr std::array<uint32_t, 64> kRound = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

inline uint32_t Rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

void Compress(uint32_t state[8], const uint8_t block[64]) {
  uint32_t w[64];
  for (int i = 0; i < 16; ++i) {
    w[i] = (uint32_t{block[4 * i]} << 24) | (uint32_t{block[4 * i + 1]} << 16) |
           (uint32_t{block[4 * i + 2]} << 8) | uint32_t{block[4 * i + 3]};
  }
  for (int i = 16; i < 64; ++i) {
    const uint32_t s0 = Rotr(w[i - 15], 7) ^ Rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    const uint32_t s1 = Rotr(w[i - 2], 17) ^ Rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
  uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
  for (int i = 0; i < 64; ++i) {
    const uint32_t s1 = Rotr(e, 6) ^ Rotr(e, 11) ^ Rotr(e, 25);
    const uint32_t ch = (e & f) ^ (~e & g);
    const uint32_t t1 = h + s1 + ch + kRound[i] + w[i];
    const uint32_t s0 = Rotr(a, 2) ^ Rotr(a, 13) ^ Rotr(a, 22);
    const uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
    const uint32_t t2 = s0 + maj;
    h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  state[0] += a; state[1] += b; state[2] += c; state[3] += d;
  state[4] += e; state[5] += f; state[6] += g; state[7] += h;
}

void CompressPortable(uint32_t state[8], const uint8_t* blocks, size_t n) {
  for (size_t i = 0; i < n; ++i) Compress(state, blocks + 64 * i);
}

#if defined(__x86_64__)
#define SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

// The SHA extensions keep the state as two registers, ABEF and CDGH; each sha256rnds2 does two
// rounds, its message words (plus round constants) in the low half of the third operand.
SHA_TARGET void CompressSha(uint32_t state[8], const uint8_t* blocks, size_t n) {
  const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  const __m128i dcba = _mm_loadu_si128(reinterpret_cast<const __m128i*>(state));
  const __m128i hgfe = _mm_loadu_si128(reinterpret_cast<const __m128i*>(state + 4));
  const __m128i badc = _mm_shuffle_epi32(dcba, 0xB1);  // lanes b a d c
  const __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);  // lanes h g f e
  __m128i abef = _mm_alignr_epi8(badc, efgh, 8);        // lanes f e b a
  __m128i cdgh = _mm_blend_epi16(efgh, badc, 0xF0);     // lanes h g d c
  for (size_t b = 0; b < n; ++b) {
    const uint8_t* block = blocks + 64 * b;
    const __m128i abef0 = abef, cdgh0 = cdgh;
    __m128i w[4];
    for (int g = 0; g < 16; ++g) {
      __m128i& cur = w[g & 3];
      if (g < 4) {
        cur = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16 * g)), bswap);
      } else {
        // W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], four at a time: cur holds t-16.
        const __m128i& m3 = w[(g + 1) & 3];  // t-12
        const __m128i& m2 = w[(g + 2) & 3];  // t-8
        const __m128i& m1 = w[(g + 3) & 3];  // t-4
        const __m128i x = _mm_add_epi32(_mm_sha256msg1_epu32(cur, m3), _mm_alignr_epi8(m1, m2, 4));
        cur = _mm_sha256msg2_epu32(x, m1);
      }
      __m128i k = _mm_add_epi32(cur, _mm_loadu_si128(reinterpret_cast<const __m128i*>(&kRound[4 * static_cast<size_t>(g)])));
      cdgh = _mm_sha256rnds2_epu32(cdgh, abef, k);
      k = _mm_shuffle_epi32(k, 0x0E);
      abef = _mm_sha256rnds2_epu32(abef, cdgh, k);
    }
    abef = _mm_add_epi32(abef, abef0);
    cdgh = _mm_add_epi32(cdgh, cdgh0);
  }
  const __m128i feba = _mm_shuffle_epi32(abef, 0x1B);  // lanes a b e f
  const __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);  // lanes g h c d
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state), _mm_blend_epi16(feba, dchg, 0xF0));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state + 4), _mm_alignr_epi8(dchg, feba, 8));
}

bool CpuHasSha() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  const bool sha = (b >> 29) & 1;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  return sha && ((c >> 19) & 1) && ((c >> 9) & 1);  // SSE4.1, SSSE3
}
#endif

std::atomic<bool> g_portable{false};

void CompressBlocks(uint32_t state[8], const uint8_t* blocks, size_t n) {
#if defined(__x86_64__)
  static const bool sha = CpuHasSha();
  if (sha && !g_portable.load(std::memory_order_relaxed)) {
    CompressSha(state, blocks, n);
    return;
  }
#endif
  CompressPortable(state, blocks, n);
}

}  // namespace

bool ForceSha256Portable(bool on) {
  g_portable = on;
#if defined(__x86_64__)
  return CpuHasSha();
#else
  return false;
#endif
}

std::string Sha256Hex(const uint8_t* data, size_t size) {
  uint32_t state[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  const size_t i = size / 64 * 64;
  CompressBlocks(state, data, size / 64);
  uint8_t tail[128] = {};
  const size_t rest = size - i;
  if (rest > 0) std::memcpy(tail, data + i, rest);
  tail[rest] = 0x80;
  const size_t tail_len = rest + 9 <= 64 ? 64 : 128;
  const uint64_t bits = static_cast<uint64_t>(size) * 8;
  for (int k = 0; k < 8; ++k) tail[tail_len - 1 - k] = static_cast<uint8_t>(bits >> (8 * k));
  CompressBlocks(state, tail, tail_len / 64);
  static const char* kHex = "0123456789abcdef";
  std::string out(64, '0');
  for (int k = 0; k < 8; ++k) {
    for (int j = 0; j < 4; ++j) {
      const uint8_t byte = static_cast<uint8_t>(state[k] >> (24 - 8 * j));
      out[8 * k + 2 * j] = kHex[byte >> 4];
      out[8 * k + 2 * j + 1] = kHex[byte & 15];
    }
  }
  return out;
}

}  // namespace ensemble::core
