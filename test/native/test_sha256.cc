// SHA-256 against the FIPS 180-4 examples and Python's hashlib on lengths around block edges.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ensemble/sha256.h"

using ensemble::core::Sha256Hex;

static std::string Hash(const std::string& s) {
  return Sha256Hex(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(Sha256, StandardVectors) {
  EXPECT_EQ(Hash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, BlockBoundaries) {
  // hashlib.sha256(b"a" * n).hexdigest() for n = 55, 56, 64, 1000.
  EXPECT_EQ(Hash(std::string(55, 'a')),
            "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(Hash(std::string(56, 'a')),
            "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(Hash(std::string(64, 'a')),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
  EXPECT_EQ(Hash(std::string(1000, 'a')),
            "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

// The SHA-extension rounds (where the CPU has them) against the portable ones, on every length
// around the block edges and on longer random buffers.
TEST(Sha256, ShaExtensionsEqualThePortableRounds) {
  std::vector<uint8_t> data(70000);
  uint32_t x = 12345;
  for (auto& b : data) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<uint8_t>(x >> 24);
  }
  const bool has = ensemble::core::ForceSha256Portable(false);
  if (!has) GTEST_SKIP() << "this CPU has no SHA extensions: only the portable rounds run";
  std::vector<size_t> sizes;
  for (size_t n = 0; n <= 200; ++n) sizes.push_back(n);
  for (size_t n : {1000u, 4095u, 4096u, 65537u, 70000u}) sizes.push_back(n);
  for (const size_t n : sizes) {
    ensemble::core::ForceSha256Portable(false);
    const std::string fast = Sha256Hex(data.data(), n);
    ensemble::core::ForceSha256Portable(true);
    const std::string portable = Sha256Hex(data.data(), n);
    ASSERT_EQ(fast, portable) << n << " bytes";
  }
  ensemble::core::ForceSha256Portable(false);
}
