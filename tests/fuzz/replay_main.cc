// A main for fuzz targets built without libFuzzer (gcc, every build): runs
// LLVMFuzzerTestOneInput once on each file named, or on every file of each
// directory named (not recursing), in name order. Exits 1 when given nothing
// to run, so an empty or misplaced corpus fails rather than passes.
//
//   json_fuzz tests/fuzz/corpus/json
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz.h"

namespace {

bool ReadAll(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[65536];
  out->clear();
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return true;
}

void Collect(const std::string& path, std::vector<std::string>* files) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;
  if (!S_ISDIR(st.st_mode)) {
    files->push_back(path);
    return;
  }
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) return;
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == ".." || name[0] == '.') continue;
    names.push_back(path + "/" + name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    if (::stat(n.c_str(), &st) == 0 && S_ISREG(st.st_mode)) files->push_back(n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) Collect(argv[i], &files);
  if (files.empty()) {
    (void)std::fprintf(stderr, "%s: no inputs (name corpus files or directories)\n", argv[0]);
    return 1;
  }
  std::string data;
  for (const auto& f : files) {
    if (!ReadAll(f, &data)) {
      (void)std::fprintf(stderr, "%s: cannot read %s\n", argv[0], f.c_str());
      return 1;
    }
    // Print first: when an input aborts, the last line names it.
    (void)std::fprintf(stderr, "replay %s (%zu bytes)\n", f.c_str(), data.size());
    (void)LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  }
  (void)std::fprintf(stderr, "%s: %zu inputs ran\n", argv[0], files.size());
  return 0;
}
