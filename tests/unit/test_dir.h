// A temporary directory for verify/ tests, removed with everything in it.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace moat::testing {

class TestDir {
 public:
  TestDir() {
    char tmpl[] = "/tmp/moat-verify-test-XXXXXX";
    // The real path (no symlink on the way): resolvers compare paths.
    if (::mkdtemp(tmpl) != nullptr) {
      if (char* real = ::realpath(tmpl, nullptr)) {
        path_ = real;
        std::free(real);
      }
      ::chmod(tmpl, 0755);
    }
  }
  ~TestDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TestDir(const TestDir&) = delete;
  TestDir& operator=(const TestDir&) = delete;

  const std::string& path() const { return path_; }

  /// Writes `rel` (parents created) with `mode`; returns its full path.
  std::string Write(const std::string& rel, const std::string& data, mode_t mode = 0644) const {
    std::string full = path_ + "/" + rel;
    std::filesystem::create_directories(std::filesystem::path(full).parent_path());
    {
      std::ofstream out(full, std::ios::binary | std::ios::trunc);
      out << data;
    }
    ::chmod(full.c_str(), mode);
    return full;
  }

 private:
  std::string path_;
};

/// Replaces every "@DIR@" in `text` with `dir`.
inline std::string WithDir(std::string text, const std::string& dir) {
  for (size_t pos = text.find("@DIR@"); pos != std::string::npos; pos = text.find("@DIR@", pos)) {
    text.replace(pos, 5, dir);
    pos += dir.size();
  }
  return text;
}

}  // namespace moat::testing
