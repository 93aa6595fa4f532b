// Conversation layouts for chat models; the Jinja chat_template itself is only carried along.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace qlsweep::trainer {

struct ChatMessage {
  std::string role;  // "system", "user", "assistant"
  std::string content;
};

enum class ChatFormat {
  kUnknown,
  kChatMl,  // <|im_start|>role\ncontent<|im_end|>\n (SmolLM2, Qwen)
};

// Recognizes the layout a Jinja chat_template produces, by the markers it writes.
ChatFormat DetectChatFormat(std::string_view chat_template);

// ChatML: "<|im_start|>" + role + "\n" + content + "<|im_end|>\n" per message; when the first
// message is not a system one and default_system_prompt is non-empty, a system message with it
// goes first (as SmolLM2-Instruct's template does); add_generation_prompt appends
// "<|im_start|>assistant\n".
std::string FormatChatMl(std::span<const ChatMessage> messages, bool add_generation_prompt,
                         std::string_view default_system_prompt = {});

}  // namespace qlsweep::trainer
