#include "server/metrics_registry.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace resr {
namespace {

bool is_metric_name(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':';
  });
}

bool is_label_name(const std::string& name) {
  return is_metric_name(name) && name.find(':') == std::string::npos && !name.starts_with("__");
}

// Shortest text that reads back as the same double; the spellings of the
// format for infinities and NaN.
std::string number_text(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// HELP text escapes backslash and newline; label values also the double quote.
std::string escaped(const std::string& text, bool quote) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

MetricFamily::MetricFamily(std::string name, std::string help, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {
  if (!is_metric_name(name_)) throw std::invalid_argument("invalid metric name '" + name_ + "'");
  for (size_t i = 0; i < label_names_.size(); ++i) {
    const std::string& label = label_names_[i];
    if (!is_label_name(label) || label == "le" ||
        std::find(label_names_.begin(), label_names_.begin() + i, label) !=
            label_names_.begin() + i) {
      throw std::invalid_argument("invalid or repeated label name '" + label + "' of metric " +
                                  name_);
    }
  }
}

void MetricFamily::check_labels(const LabelValues& values) const {
  if (values.size() != label_names_.size()) {
    throw std::invalid_argument("metric " + name_ + " takes " +
                                std::to_string(label_names_.size()) + " label values, got " +
                                std::to_string(values.size()));
  }
}

std::string MetricFamily::label_text(const LabelValues& values, const std::string& extra_name,
                                     const std::string& extra_value) const {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    out += (out.empty() ? "{" : ",") + label_names_[i] + "=\"" + escaped(values[i], true) + "\"";
  }
  if (!extra_name.empty()) {
    out += (out.empty() ? "{" : ",") + extra_name + "=\"" + extra_value + "\"";
  }
  return out.empty() ? out : out + "}";
}

void MetricFamily::render_header(std::string& out, const char* type) const {
  out += "# HELP " + name_ + " " + escaped(help_, false) + "\n";
  out += "# TYPE " + name_ + " " + type + "\n";
}

void Counter::inc(const LabelValues& labels, double amount) {
  check_labels(labels);
  if (!(amount >= 0)) {
    throw std::invalid_argument("counter " + name_ + " cannot go down (inc by " +
                                number_text(amount) + ")");
  }
  const std::lock_guard lock(mutex_);
  values_[labels] += amount;
}

double Counter::value(const LabelValues& labels) const {
  check_labels(labels);
  const std::lock_guard lock(mutex_);
  const auto it = values_.find(labels);
  return it == values_.end() ? 0 : it->second;
}

void Counter::render(std::string& out) const {
  render_header(out, "counter");
  const std::lock_guard lock(mutex_);
  // A family without labels has its one series from the start.
  if (values_.empty() && label_names_.empty()) out += name_ + " 0\n";
  for (const auto& [labels, value] : values_) {
    out += name_ + label_text(labels) + " " + number_text(value) + "\n";
  }
}

void Gauge::set(double value, const LabelValues& labels) {
  check_labels(labels);
  const std::lock_guard lock(mutex_);
  values_[labels] = value;
}

void Gauge::add(double amount, const LabelValues& labels) {
  check_labels(labels);
  const std::lock_guard lock(mutex_);
  values_[labels] += amount;
}

double Gauge::value(const LabelValues& labels) const {
  check_labels(labels);
  const std::lock_guard lock(mutex_);
  const auto it = values_.find(labels);
  return it == values_.end() ? 0 : it->second;
}

void Gauge::render(std::string& out) const {
  render_header(out, "gauge");
  const std::lock_guard lock(mutex_);
  if (values_.empty() && label_names_.empty()) out += name_ + " 0\n";
  for (const auto& [labels, value] : values_) {
    out += name_ + label_text(labels) + " " + number_text(value) + "\n";
  }
}

Histogram::Histogram(std::string name, std::string help, std::vector<double> bounds,
                     std::vector<std::string> label_names)
    : MetricFamily(std::move(name), std::move(help), std::move(label_names)),
      bounds_(std::move(bounds)) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]) || (i > 0 && !(bounds_[i] > bounds_[i - 1]))) {
      throw std::invalid_argument("histogram " + name_ +
                                  " needs finite, strictly increasing bucket bounds");
    }
  }
}

void Histogram::observe(double value, const LabelValues& labels) {
  check_labels(labels);
  const std::lock_guard lock(mutex_);
  Series& series = series_[labels];
  if (series.bucket_counts.empty()) series.bucket_counts.assign(bounds_.size(), 0);
  // Upper bounds are inclusive; NaN falls in no finite bucket, only in +Inf.
  const auto bucket = std::find_if(bounds_.begin(), bounds_.end(),
                                   [value](double bound) { return value <= bound; });
  if (bucket != bounds_.end()) ++series.bucket_counts[bucket - bounds_.begin()];
  ++series.count;
  series.sum += value;
}

void Histogram::render(std::string& out) const {
  render_header(out, "histogram");
  const std::lock_guard lock(mutex_);
  auto render_series = [&](const LabelValues& labels, const Series& series) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < bounds_.size(); ++i) {
      cumulative += series.bucket_counts.empty() ? 0 : series.bucket_counts[i];
      out += name_ + "_bucket" + label_text(labels, "le", number_text(bounds_[i])) + " " +
             std::to_string(cumulative) + "\n";
    }
    out += name_ + "_bucket" + label_text(labels, "le", "+Inf") + " " +
           std::to_string(series.count) + "\n";
    out += name_ + "_sum" + label_text(labels) + " " + number_text(series.sum) + "\n";
    out += name_ + "_count" + label_text(labels) + " " + std::to_string(series.count) + "\n";
  };
  if (series_.empty() && label_names_.empty()) render_series({}, Series{});
  for (const auto& [labels, series] : series_) render_series(labels, series);
}

std::vector<double> exponential_buckets(double start, double factor, int count) {
  std::vector<double> bounds;
  for (double bound = start; static_cast<int>(bounds.size()) < count; bound *= factor) {
    bounds.push_back(bound);
  }
  return bounds;
}

template <typename Family>
Family& MetricsRegistry::add(std::unique_ptr<Family> family) {
  const std::lock_guard lock(mutex_);
  for (const auto& existing : families_) {
    if (existing->name() == family->name()) {
      throw std::invalid_argument("metric " + family->name() + " is registered twice");
    }
  }
  Family& added = *family;
  families_.push_back(std::move(family));
  return added;
}

Counter& MetricsRegistry::add_counter(const std::string& name, const std::string& help,
                                      std::vector<std::string> label_names) {
  return add(std::make_unique<Counter>(name, help, std::move(label_names)));
}

Gauge& MetricsRegistry::add_gauge(const std::string& name, const std::string& help,
                                  std::vector<std::string> label_names) {
  return add(std::make_unique<Gauge>(name, help, std::move(label_names)));
}

Histogram& MetricsRegistry::add_histogram(const std::string& name, const std::string& help,
                                          std::vector<double> bounds,
                                          std::vector<std::string> label_names) {
  return add(std::make_unique<Histogram>(name, help, std::move(bounds), std::move(label_names)));
}

std::string MetricsRegistry::render() const {
  const std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& family : families_) family->render(out);
  return out;
}

}  // namespace resr
