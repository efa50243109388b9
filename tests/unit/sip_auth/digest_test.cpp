// Digest computation against the RFCs' example vectors, and credentials parsing.
#include "sip/auth/digest.hpp"

#include <gtest/gtest.h>

namespace kefu::sip {
namespace {

TEST(DigestHash, KnownValues) {
  EXPECT_EQ(digest_hash(DigestAlgorithm::Md5, ""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(digest_hash(DigestAlgorithm::Sha256, "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(DigestResponse, Rfc2617Section3_5) {
  DigestInput input;
  input.algorithm = DigestAlgorithm::Md5;
  input.username = "Mufasa";
  input.realm = "testrealm@host.com";
  input.password = "Circle Of Life";
  input.method = "GET";
  input.uri = "/dir/index.html";
  input.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
  input.qop = "auth";
  input.nc = "00000001";
  input.cnonce = "0a4f113b";
  EXPECT_EQ(compute_digest_response(input), "6629fae49393a05397450978507c4ef1");
}

DigestInput rfc7616_example(DigestAlgorithm algorithm) {
  DigestInput input;
  input.algorithm = algorithm;
  input.username = "Mufasa";
  input.realm = "http-auth@example.org";
  input.password = "Circle of Life";
  input.method = "GET";
  input.uri = "/dir/index.html";
  input.nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
  input.qop = "auth";
  input.nc = "00000001";
  input.cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
  return input;
}

TEST(DigestResponse, Rfc7616Section3_9_1Sha256) {
  EXPECT_EQ(compute_digest_response(rfc7616_example(DigestAlgorithm::Sha256)),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

TEST(DigestResponse, Rfc7616Section3_9_1Md5) {
  EXPECT_EQ(compute_digest_response(rfc7616_example(DigestAlgorithm::Md5)),
            "8ca523f5e9506fed4657c9700eebdbec");
}

TEST(DigestResponse, NoQopAndSessionVariants) {
  // Values computed independently (Python hashlib) from the RFC 2617 inputs.
  DigestInput input;
  input.username = "Mufasa";
  input.realm = "testrealm@host.com";
  input.password = "Circle Of Life";
  input.method = "GET";
  input.uri = "/dir/index.html";
  input.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
  input.algorithm = DigestAlgorithm::Md5;
  // H(H(A1):nonce:H(A2)), RFC 2069 / RFC 2617 §3.2.2.1 without qop.
  EXPECT_EQ(compute_digest_response(input), "670fd8c2df070c60b045671b8b24ff02");
  input.qop = "auth";
  input.nc = "00000001";
  input.cnonce = "0a4f113b";
  input.algorithm = DigestAlgorithm::Md5Sess;
  EXPECT_EQ(compute_digest_response(input), "8e3825c57e897f5a0dec6c2d4e5059d0");
  input.algorithm = DigestAlgorithm::Sha256Sess;
  EXPECT_EQ(compute_digest_response(input),
            "b8822e12417cb7750f4e2b8515f0dcf25b7dd26993e80bee1426201446a7f59b");
}

TEST(DigestAlgorithmNames, RoundTripCaseInsensitive) {
  for (auto algorithm : {DigestAlgorithm::Md5, DigestAlgorithm::Md5Sess, DigestAlgorithm::Sha256,
                         DigestAlgorithm::Sha256Sess}) {
    EXPECT_EQ(digest_algorithm_from_string(to_string(algorithm)), algorithm);
  }
  EXPECT_EQ(digest_algorithm_from_string("sha-256"), DigestAlgorithm::Sha256);
  EXPECT_EQ(digest_algorithm_from_string("md5"), DigestAlgorithm::Md5);
  EXPECT_FALSE(digest_algorithm_from_string("SHA-512-256").has_value());
}

TEST(DigestCredentialsParse, TypicalPhone) {
  auto parsed = parse_digest_credentials(
      "Digest username=\"1001\",realm=\"kefu\", nonce=\"abc\" , uri=\"sip:kefu.example\","
      " response=\"0123abcd\", algorithm=MD5, cnonce=\"xyz\", qop=auth, nc=00000001,"
      " opaque=\"\", future-param=whatever");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->username, "1001");
  EXPECT_EQ(parsed->realm, "kefu");
  EXPECT_EQ(parsed->nonce, "abc");
  EXPECT_EQ(parsed->uri, "sip:kefu.example");
  EXPECT_EQ(parsed->response, "0123abcd");
  EXPECT_EQ(parsed->algorithm, "MD5");
  EXPECT_EQ(parsed->cnonce, "xyz");
  EXPECT_EQ(parsed->qop, "auth");
  EXPECT_EQ(parsed->nc, "00000001");
  EXPECT_EQ(parsed->opaque, "");
  EXPECT_FALSE(parsed->userhash);
}

TEST(DigestCredentialsParse, QuotedStringEscapesAndCase) {
  auto parsed =
      parse_digest_credentials("dIgEsT USERNAME=\"a\\\"b\\\\c, d\", Realm=\"r\", userhash=true");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->username, "a\"b\\c, d");
  EXPECT_EQ(parsed->realm, "r");
  EXPECT_TRUE(parsed->userhash);
}

TEST(DigestCredentialsParse, OtherSchemesAreNotDigest) {
  // RFC 4475 §3.3.7 regaut01.
  auto unknown = parse_digest_credentials("NoOneKnowsThisScheme opaque-data=here");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error(), CredentialsError::NotDigest);
  EXPECT_EQ(parse_digest_credentials("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==").error(),
            CredentialsError::NotDigest);
  EXPECT_EQ(parse_digest_credentials("").error(), CredentialsError::NotDigest);
  EXPECT_EQ(parse_digest_credentials("Digested username=\"x\"").error(),
            CredentialsError::NotDigest);
}

TEST(DigestCredentialsParse, Malformed) {
  for (std::string_view text : {
           "Digest username=\"unterminated",
           "Digest username",
           "Digest username=",
           "Digest =\"x\"",
           "Digest username=\"a\" realm=\"b\"",      // missing comma
           "Digest username=\"a\", username=\"b\"",  // repeated
           "Digest username=\"a\\",
       }) {
    auto parsed = parse_digest_credentials(text);
    ASSERT_FALSE(parsed.has_value()) << text;
    EXPECT_EQ(parsed.error(), CredentialsError::Malformed) << text;
  }
  EXPECT_TRUE(parse_digest_credentials("Digest").has_value());  // empty but well-formed
}

TEST(DigestChallenge, Format) {
  EXPECT_EQ(format_digest_challenge("kefu", "n1", DigestAlgorithm::Sha256, Stale::No),
            "Digest realm=\"kefu\", nonce=\"n1\", algorithm=SHA-256, qop=\"auth\"");
  EXPECT_EQ(format_digest_challenge("a\"b", "n2", DigestAlgorithm::Md5, Stale::Yes),
            "Digest realm=\"a\\\"b\", nonce=\"n2\", algorithm=MD5, qop=\"auth\", stale=true");
  EXPECT_EQ(quote("x\\y"), "\"x\\\\y\"");
}

}  // namespace
}  // namespace kefu::sip
