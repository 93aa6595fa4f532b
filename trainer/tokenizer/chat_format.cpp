// Conversation layouts for chat models; the Jinja chat_template itself is only carried along.
#include "trainer/tokenizer/chat_format.h"

namespace qlsweep::trainer {

namespace {

void AppendMessage(std::string_view role, std::string_view content, std::string& out) {
  out += "<|im_start|>";
  out += role;
  out += '\n';
  out += content;
  out += "<|im_end|>\n";
}

}  // namespace

ChatFormat DetectChatFormat(std::string_view chat_template) {
  if (chat_template.find("<|im_start|>") != std::string_view::npos &&
      chat_template.find("<|im_end|>") != std::string_view::npos) {
    return ChatFormat::kChatMl;
  }
  return ChatFormat::kUnknown;
}

std::string FormatChatMl(std::span<const ChatMessage> messages, bool add_generation_prompt,
                         std::string_view default_system_prompt) {
  std::string out;
  if (!default_system_prompt.empty() && (messages.empty() || messages[0].role != "system")) {
    AppendMessage("system", default_system_prompt, out);
  }
  for (const ChatMessage& m : messages) AppendMessage(m.role, m.content, out);
  if (add_generation_prompt) out += "<|im_start|>assistant\n";
  return out;
}

}  // namespace qlsweep::trainer
