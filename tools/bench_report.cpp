/// @file bench_report.cpp
/// @brief The results table, the JSON figures and the SVG plot.
/// Runs in: cabinet-bench's main thread. Owns: nothing.
#include "bench_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <optional>
#include <set>
#include <sstream>

namespace mc::bench {

namespace {

const Series* findBaseline(const std::vector<Series>& all) {
  for (const Series& series : all)
    if (series.baseline) return &series;
  return nullptr;
}

const PointResult* pointAt(const Series* series, int clients) {
  if (series == nullptr) return nullptr;
  for (const PointResult& point : series->points)
    if (point.clients == clients) return &point;
  return nullptr;
}

/// Throughput and p99 relative to the baseline at the same client count.
struct Ratios {
  std::optional<double> throughput;
  std::optional<double> p99;
};

Ratios ratiosOf(const Series& series, const PointResult& point, const Series* baseline) {
  const PointResult* base = series.baseline ? nullptr : pointAt(baseline, point.clients);
  if (base == nullptr) return {};
  Ratios ratios;
  if (base->throughput_rps > 0) ratios.throughput = point.throughput_rps / base->throughput_rps;
  if (base->p99_us > 0) ratios.p99 = point.p99_us / base->p99_us;
  return ratios;
}

std::string fixed(double value, int decimals) {
  std::ostringstream text;
  text << std::fixed << std::setprecision(decimals) << value;
  return text.str();
}

std::string jsonString(const std::string& text) {
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;  // no control characters in our labels
    quoted += c;
  }
  return quoted + "\"";
}

// ---- SVG --------------------------------------------------------------------

constexpr const char* kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"};
constexpr const char* kBaselineColor = "#444444";

/// The echo's line is dashed and the floor's dotted: the two bounds, not servers of ours.
const char* dashesOf(const Series& series) {
  if (series.baseline) return " stroke-dasharray='6 4'";
  if (series.floor) return " stroke-dasharray='2 3'";
  return "";
}

/// One panel: x = client count (log scale), y = a figure of each point.
struct Panel {
  double left, top, width, height;
  std::string title;
  double (*value)(const PointResult&);
  double scale;  // divide values by this for the axis labels
  std::string unit;
};

double niceCeiling(double value) {
  if (value <= 0) return 1;
  const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
  for (double step : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

void drawPanel(std::ostream& svg, const Panel& panel, const std::vector<Series>& all, const std::vector<int>& xs) {
  double top_value = 0;
  for (const Series& series : all)
    for (const PointResult& point : series.points) top_value = std::max(top_value, panel.value(point));
  const double y_max = niceCeiling(top_value * 1.05);
  const double x_lo = std::log2(xs.front()), x_hi = std::log2(xs.back());
  auto x_of = [&](int clients) {
    const double span = x_hi > x_lo ? x_hi - x_lo : 1;
    return panel.left + (std::log2(clients) - x_lo) / span * panel.width;
  };
  auto y_of = [&](double value) { return panel.top + panel.height - value / y_max * panel.height; };

  svg << "<text x='" << panel.left + panel.width / 2 << "' y='" << panel.top - 12
      << "' text-anchor='middle' font-weight='bold'>" << panel.title << "</text>\n";
  for (int i = 0; i <= 4; ++i) {  // horizontal grid and y labels
    const double value = y_max * i / 4;
    svg << "<line x1='" << panel.left << "' x2='" << panel.left + panel.width << "' y1='" << y_of(value)
        << "' y2='" << y_of(value) << "' stroke='#ddd'/>\n";
    svg << "<text x='" << panel.left - 6 << "' y='" << y_of(value) + 4 << "' text-anchor='end'>"
        << fixed(value / panel.scale, value / panel.scale < 10 && value > 0 ? 1 : 0) << "</text>\n";
  }
  for (int clients : xs) {  // vertical grid and x labels
    svg << "<line x1='" << x_of(clients) << "' x2='" << x_of(clients) << "' y1='" << panel.top << "' y2='"
        << panel.top + panel.height << "' stroke='#eee'/>\n";
    svg << "<text x='" << x_of(clients) << "' y='" << panel.top + panel.height + 16 << "' text-anchor='middle'>"
        << clients << "</text>\n";
  }
  svg << "<text x='" << panel.left + panel.width / 2 << "' y='" << panel.top + panel.height + 34
      << "' text-anchor='middle'>concurrent clients (log scale)</text>\n";
  svg << "<text transform='translate(" << panel.left - 48 << "," << panel.top + panel.height / 2
      << ") rotate(-90)' text-anchor='middle'>" << panel.unit << "</text>\n";
  svg << "<rect x='" << panel.left << "' y='" << panel.top << "' width='" << panel.width << "' height='"
      << panel.height << "' fill='none' stroke='#888'/>\n";

  std::size_t color = 0;
  for (const Series& series : all) {
    const std::string stroke = series.baseline ? kBaselineColor : kColors[color++ % std::size(kColors)];
    std::string points;
    for (const PointResult& point : series.points)
      points += fixed(x_of(point.clients), 1) + "," + fixed(y_of(panel.value(point)), 1) + " ";
    svg << "<polyline fill='none' stroke='" << stroke << "' stroke-width='2'"
        << dashesOf(series) << " points='" << points << "'/>\n";
    for (const PointResult& point : series.points)
      svg << "<circle cx='" << x_of(point.clients) << "' cy='" << y_of(panel.value(point)) << "' r='3' fill='"
          << stroke << "'/>\n";
  }
}

// Left to right from (left, top), on as many rows as it takes to stay left of right_edge.
void drawLegend(std::ostream& svg, const std::vector<Series>& all, double left, double top, double right_edge) {
  std::size_t color = 0;
  double x = left;
  for (const Series& series : all) {
    const std::string stroke = series.baseline ? kBaselineColor : kColors[color++ % std::size(kColors)];
    const double width = 40 + 7.5 * static_cast<double>(series.label.size());
    if (x > left && x + width > right_edge) {  // next row
      x = left;
      top += 18;
    }
    svg << "<line x1='" << x << "' x2='" << x + 24 << "' y1='" << top << "' y2='" << top << "' stroke='" << stroke
        << "' stroke-width='2'" << dashesOf(series) << "/>\n";
    svg << "<text x='" << x + 30 << "' y='" << top + 4 << "'>" << series.label << "</text>\n";
    x += width;
  }
}

}  // namespace

void printTable(std::ostream& out, const std::vector<Series>& all) {
  const Series* baseline = findBaseline(all);
  char line[256];
  std::snprintf(line, sizeof line, "%-22s %7s %10s %7s %9s %9s %9s %8s %9s %7s %8s\n", "server", "clients", "req/s",
                "x echo", "p50 us", "p90 us", "p99 us", "p99 x", "max us", "errors", "RSS MiB");
  out << line;
  for (const Series& series : all) {
    for (const PointResult& point : series.points) {
      const Ratios ratios = ratiosOf(series, point, baseline);
      std::snprintf(line, sizeof line, "%-22s %7d %10.0f %7s %9.0f %9.0f %9.0f %8s %9.0f %7llu %8.1f\n",
                    series.label.c_str(), point.clients, point.throughput_rps,
                    ratios.throughput ? fixed(*ratios.throughput, 2).c_str() : "-", point.p50_us, point.p90_us,
                    point.p99_us, ratios.p99 ? fixed(*ratios.p99, 2).c_str() : "-", point.max_us,
                    static_cast<unsigned long long>(point.errors), static_cast<double>(point.server_rss_kib) / 1024);
      out << line;
      if (!point.first_error.empty()) out << "    first error: " << point.first_error << "\n";
    }
  }
}

void writeJson(std::ostream& out, const std::vector<Series>& all) {
  const Series* baseline = findBaseline(all);
  out << "{\n  \"series\": [\n";
  for (std::size_t s = 0; s < all.size(); ++s) {
    const Series& series = all[s];
    out << "    {\"label\": " << jsonString(series.label) << ", \"server_args\": " << jsonString(series.server_args)
        << ", \"baseline\": " << (series.baseline ? "true" : "false")
        << ", \"floor\": " << (series.floor ? "true" : "false") << ", \"points\": [\n";
    for (std::size_t p = 0; p < series.points.size(); ++p) {
      const PointResult& point = series.points[p];
      const Ratios ratios = ratiosOf(series, point, baseline);
      out << "      {\"clients\": " << point.clients << ", \"seconds\": " << fixed(point.seconds, 2)
          << ", \"requests\": " << point.requests << ", \"throughput_rps\": " << fixed(point.throughput_rps, 1)
          << ", \"p50_us\": " << fixed(point.p50_us, 0) << ", \"p90_us\": " << fixed(point.p90_us, 0)
          << ", \"p99_us\": " << fixed(point.p99_us, 0) << ", \"max_us\": " << fixed(point.max_us, 0)
          << ", \"errors\": " << point.errors << ", \"server_rss_kib\": " << point.server_rss_kib;
      if (ratios.throughput) out << ", \"ratio\": " << fixed(*ratios.throughput, 3);
      if (ratios.p99) out << ", \"p99_ratio\": " << fixed(*ratios.p99, 3);
      if (!point.first_error.empty()) out << ", \"first_error\": " << jsonString(point.first_error);
      out << "}" << (p + 1 < series.points.size() ? "," : "") << "\n";
    }
    out << "    ]}" << (s + 1 < all.size() ? "," : "") << "\n";
  }
  out << "  ]\n}\n";
}

void writeSvg(std::ostream& out, const std::vector<Series>& all, const std::string& title) {
  std::set<int> counts;
  for (const Series& series : all)
    for (const PointResult& point : series.points) counts.insert(point.clients);
  const std::vector<int> xs(counts.begin(), counts.end());
  // Room below the panels for three rows of legend.
  out << "<svg xmlns='http://www.w3.org/2000/svg' width='960' height='476' font-family='sans-serif' "
         "font-size='12'>\n<rect width='960' height='476' fill='white'/>\n";
  out << "<text x='480' y='22' text-anchor='middle' font-size='15' font-weight='bold'>" << title << "</text>\n";
  if (!xs.empty()) {
    drawPanel(out, Panel{80, 64, 360, 290, "Throughput", [](const PointResult& p) { return p.throughput_rps; },
                         1000, "thousand requests/s"},
              all, xs);
    drawPanel(out, Panel{570, 64, 360, 290, "p99 latency", [](const PointResult& p) { return p.p99_us; }, 1000,
                         "milliseconds"},
              all, xs);
    drawLegend(out, all, 80, 420, 940);
  }
  out << "</svg>\n";
}

}  // namespace mc::bench
