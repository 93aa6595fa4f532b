// ChatML layout (SmolLM2) and the chat template carried from tokenizer_config.json.
#include <gtest/gtest.h>

#include "tests/trainer/tokenizer/reference_cases.h"
#include "trainer/tokenizer/chat_format.h"
#include "trainer/tokenizer/tokenizer.h"

namespace qlsweep::trainer {
namespace {

TEST(ChatFormat, ChatMlLayout) {
  const std::vector<ChatMessage> messages = {{"user", "Hi!"}, {"assistant", "Hello."}};
  EXPECT_EQ(FormatChatMl(messages, /*add_generation_prompt=*/false),
            "<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n");
  EXPECT_EQ(FormatChatMl(std::span(messages).first(1), true, "Be brief."),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n"
            "<|im_start|>assistant\n");
  const std::vector<ChatMessage> with_system = {{"system", "S"}, {"user", "U"}};
  EXPECT_EQ(FormatChatMl(with_system, false, "ignored"),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n");
  EXPECT_EQ(DetectChatFormat("{{ bos_token }}[INST] {{ message }} [/INST]"), ChatFormat::kUnknown);
}

// The mini SmolLM-style tokenizer carries a ChatML template; its markers encode as single ids.
TEST(ChatFormat, TemplateFromTokenizerConfigAndMarkersAsTokens) {
  const Tokenizer tok =
      Tokenizer::FromHfJson(testing::AssetDir() / "mini_smollm" / "tokenizer.json");
  EXPECT_EQ(DetectChatFormat(tok.chat_template()), ChatFormat::kChatMl);
  const auto start = tok.TokenToId("<|im_start|>"), end = tok.TokenToId("<|im_end|>");
  ASSERT_TRUE(start && end);
  const std::vector<ChatMessage> messages = {{"user", "Hi"}};
  const std::vector<int32_t> ids = tok.Encode(FormatChatMl(messages, true));
  ASSERT_GE(ids.size(), 6u);
  EXPECT_EQ(ids.front(), *start);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), *start), 2);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), *end), 1);
  EXPECT_EQ(tok.Decode(ids), FormatChatMl(messages, true));
  EXPECT_EQ(tok.eos_id(), *end);  // tokenizer_config.json's eos_token
}

}  // namespace
}  // namespace qlsweep::trainer
