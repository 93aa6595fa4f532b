// Checking one value against its key's spec: type, range, choices; yields the canonical value.
#include "sweeps/value_check.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>

#include "sweeps/suggest.h"
#include "sweeps/value_text.h"

namespace qlsweep::sweeps {
namespace {

CheckedValue Fail(std::string error) { return CheckedValue{nullptr, std::move(error)}; }

std::string ChoiceList(const KeySpec& spec) {
  std::string out;
  for (size_t i = 0; i < spec.choices.size(); ++i) out += (i ? ", " : "") + spec.choices[i];
  return out;
}

// Range violations of `v`, or "" when within bounds.
std::string RangeError(const KeySpec& spec, double v) {
  const Range& r = spec.range;
  bool low = r.min && (r.min_open ? !(v > *r.min) : !(v >= *r.min));
  bool high = r.max && (r.max_open ? !(v < *r.max) : !(v <= *r.max));
  if (!low && !high) return "";
  return std::string("must be ") + (r.min && r.max ? "in " : "") + ConstraintText(spec) + ", got " +
         NumberText(v);
}

CheckedValue CheckInt(const KeySpec& spec, const nlohmann::json& raw) {
  int64_t v = 0;
  if (raw.is_number_unsigned()) {
    if (raw.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Fail("must be at most " + std::to_string(std::numeric_limits<int>::max()) + ", got " +
                  raw.dump());
    }
    v = static_cast<int64_t>(raw.get<uint64_t>());
  } else if (raw.is_number_integer()) {
    v = raw.get<int64_t>();
  } else if (raw.is_number_float()) {
    double d = raw.get<double>();
    if (!std::isfinite(d) || d != std::trunc(d)) {
      return Fail("expected an integer, got " + DescribeValue(raw));
    }
    if (std::fabs(d) > static_cast<double>(std::numeric_limits<int>::max())) {
      return Fail("must be at most " + std::to_string(std::numeric_limits<int>::max()) + ", got " +
                  NumberText(d));
    }
    v = static_cast<int64_t>(d);
  } else {
    return Fail("expected an integer, got " + DescribeValue(raw));
  }
  if (std::string error = RangeError(spec, static_cast<double>(v)); !error.empty()) {
    return Fail(error);
  }
  if (v > std::numeric_limits<int>::max() || v < std::numeric_limits<int>::min()) {
    return Fail("must be at most " + std::to_string(std::numeric_limits<int>::max()) + ", got " +
                std::to_string(v));
  }
  if (spec.power_of_two && (v <= 0 || (v & (v - 1)) != 0)) {
    return Fail("must be a power of 2, got " + std::to_string(v));
  }
  return CheckedValue{v, ""};
}

CheckedValue CheckFloat(const KeySpec& spec, const nlohmann::json& raw) {
  if (!raw.is_number()) return Fail("expected a number, got " + DescribeValue(raw));
  double v = raw.get<double>();
  if (!std::isfinite(v)) return Fail("must be a finite number, got " + NumberText(v));
  if (v == 0.0) v = 0.0;  // -0.0 and 0.0 are the same setting
  if (std::string error = RangeError(spec, v); !error.empty()) return Fail(error);
  return CheckedValue{v, ""};
}

CheckedValue CheckString(const KeySpec& spec, const nlohmann::json& raw) {
  if (!raw.is_string()) return Fail("expected a string, got " + DescribeValue(raw));
  const auto v = raw.get<std::string>();
  if (std::string error = ControlCharacterError(v); !error.empty()) return Fail(error);
  if (!spec.choices.empty() &&
      std::find(spec.choices.begin(), spec.choices.end(), v) == spec.choices.end()) {
    return Fail("must be one of " + ChoiceList(spec) + "; got '" + v + "'" +
                DidYouMean(v, spec.choices));
  }
  return CheckedValue{v, ""};
}

CheckedValue CheckStringList(const KeySpec& spec, const nlohmann::json& raw) {
  if (!raw.is_array()) return Fail("expected a list of strings, got " + DescribeValue(raw));
  std::vector<std::string> items;
  for (const auto& item : raw) {
    if (!item.is_string()) return Fail("expected a list of strings, got " + DescribeValue(item));
    const auto v = item.get<std::string>();
    if (std::string error = ControlCharacterError(v); !error.empty()) return Fail(error);
    if (!spec.choices.empty() &&
        std::find(spec.choices.begin(), spec.choices.end(), v) == spec.choices.end()) {
      return Fail("each item must be one of " + ChoiceList(spec) + "; got '" + v + "'" +
                  DidYouMean(v, spec.choices));
    }
    if (std::find(items.begin(), items.end(), v) != items.end()) {
      return Fail("'" + v + "' is listed twice");
    }
    items.push_back(v);
  }
  if (items.size() < spec.min_items) {
    return Fail("must list at least " + std::to_string(spec.min_items) + " item" +
                (spec.min_items == 1 ? "" : "s"));
  }
  if (!spec.choices.empty()) {  // a set: canonical order is the schema's order
    auto rank = [&](const std::string& s) {
      return std::find(spec.choices.begin(), spec.choices.end(), s) - spec.choices.begin();
    };
    std::sort(items.begin(), items.end(),
              [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
  }
  return CheckedValue{items, ""};
}

}  // namespace

std::string ControlCharacterError(const std::string& v) {
  for (size_t i = 0; i < v.size(); ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "0x%02x", c);
      return std::string("contains a control character (byte ") + hex + " at offset " +
             std::to_string(i) + "); names and paths are one line of printable text";
    }
  }
  return "";
}

CheckedValue CheckValue(const KeySpec& spec, const nlohmann::json& raw) {
  switch (spec.type) {
    case ValueType::kInt:
      return CheckInt(spec, raw);
    case ValueType::kFloat:
      return CheckFloat(spec, raw);
    case ValueType::kBool:
      if (!raw.is_boolean()) return Fail("expected true or false, got " + DescribeValue(raw));
      return CheckedValue{raw.get<bool>(), ""};
    case ValueType::kString:
      return CheckString(spec, raw);
    case ValueType::kStringList:
      return CheckStringList(spec, raw);
  }
  return Fail("unknown value type");
}

}  // namespace qlsweep::sweeps
