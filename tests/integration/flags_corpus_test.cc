// The command-line part of the bad-input corpus (issue 8): every case of
// tests/corpus/flags/cases.txt runs the real `capture` binary with a clean environment
// and checks its exit code, its stderr, that no secret given on the command line is
// echoed, and that a refused command leaves no file behind. Needs no lab.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace {

namespace fs = std::filesystem;

struct Case {
  std::string name;
  std::vector<std::string> setup, env, stderr_has, output_lacks, keeps;
  std::string args;
  int exit_code = -1;
};

std::vector<Case> load_cases() {
  std::ifstream in(fs::path(VMC_SOURCE_DIR) / "tests/corpus/flags/cases.txt");
  std::vector<Case> out;
  std::string line;
  Case cur;
  auto flush = [&] {
    if (!cur.name.empty()) out.push_back(cur);
    cur = Case{};
  };
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '#') continue;
    if (line.empty()) {
      flush();
      continue;
    }
    auto colon = line.find(':');
    std::string k = line.substr(0, colon);
    std::string v = colon + 1 < line.size() ? line.substr(colon + 2) : std::string();
    if (k == "case") cur.name = v;
    else if (k == "setup") cur.setup.push_back(v);
    else if (k == "env") cur.env.push_back(v);
    else if (k == "args") cur.args = v;
    else if (k == "exit") cur.exit_code = std::stoi(v);
    else if (k == "stderr") cur.stderr_has.push_back(v);
    else if (k == "not-stderr") cur.output_lacks.push_back(v);
    else if (k == "keeps") cur.keeps.push_back(v);
    else ADD_FAILURE() << "cases.txt: unknown key '" << k << "' in " << line;
  }
  flush();
  return out;
}

std::string subst(std::string s, const std::string& tmp) {
  for (size_t at = s.find("@TMP@"); at != std::string::npos; at = s.find("@TMP@", at + tmp.size())) {
    s.replace(at, 5, tmp);
  }
  return s;
}

/// Splits on spaces; '...' makes one argument (possibly empty).
std::vector<std::string> split_args(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == ' ') {
      ++i;
      continue;
    }
    std::string arg;
    if (s[i] == '\'') {
      size_t end = s.find('\'', i + 1);
      arg = s.substr(i + 1, end - i - 1);
      i = end == std::string::npos ? s.size() : end + 1;
    } else {
      size_t end = s.find(' ', i);
      arg = s.substr(i, end - i);
      i = end == std::string::npos ? s.size() : end;
    }
    out.push_back(arg);
  }
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::set<std::string> files_under(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) out.insert(e.path().string());
  return out;
}

TEST(FlagsCorpus, EveryBadCommandLineIsRefusedClearly) {
  const auto cases = load_cases();
  ASSERT_GE(cases.size(), 30u) << "the corpus went missing";
  const std::string binary = std::string(VMC_BINARY_DIR) + "/capture";
  char logs_tmpl[] = "/tmp/vmc-flags-logs-XXXXXX";
  ASSERT_NE(mkdtemp(logs_tmpl), nullptr);
  const std::string logs = logs_tmpl;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    char tmpl[] = "/tmp/vmc-flags-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    const std::string tmp = tmpl;
    std::set<std::string> expected_files;
    for (const auto& s : c.setup) {
      auto parts = split_args(subst(s, tmp));
      ASSERT_EQ(parts.size(), 4u) << "setup: file PATH MODE TEXT";
      ASSERT_EQ(parts[0], "file");
      std::ofstream(parts[1]) << parts[3] << "\n";
      chmod(parts[1].c_str(), static_cast<mode_t>(std::stoi(parts[2], nullptr, 8)));
      expected_files.insert(parts[1]);
    }
    for (const auto& k : c.keeps) expected_files.insert(subst(k, tmp));
    std::vector<std::string> args{binary};
    for (auto& a : split_args(subst(c.args, tmp))) args.push_back(a);
    std::vector<std::string> env{"PATH=/usr/bin:/bin", "HOME=" + tmp, "LANG=C"};
    for (const auto& e : c.env) env.push_back(subst(e, tmp));
    const std::string out_path = logs + "/" + c.name + ".out", err_path = logs + "/" + c.name + ".err";
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      std::vector<char*> argv, envp;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      for (auto& e : env) envp.push_back(e.data());
      envp.push_back(nullptr);
      int in = open("/dev/null", O_RDONLY);
      int o = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int e = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(in, 0);
      dup2(o, 1);
      dup2(e, 2);
      if (chdir(VMC_SOURCE_DIR) != 0) _exit(126);
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    ASSERT_TRUE(WIFEXITED(st)) << c.name << " died with signal " << WTERMSIG(st);
    const std::string err = slurp(err_path), out = slurp(out_path);
    EXPECT_EQ(c.exit_code, WEXITSTATUS(st)) << c.name << " stderr:\n" << err;
    for (const auto& s : c.stderr_has) {
      const std::string want = subst(s, tmp);
      EXPECT_NE(err.find(want), std::string::npos) << c.name << ": '" << want << "' not in stderr:\n" << err;
    }
    for (const auto& s : c.output_lacks) {
      EXPECT_EQ(err.find(s), std::string::npos) << c.name << ": stderr shows '" << s << "':\n" << err;
      EXPECT_EQ(out.find(s), std::string::npos) << c.name << ": stdout shows '" << s << "'";
    }
    std::set<std::string> left = files_under(tmp);
    EXPECT_EQ(expected_files, left) << c.name << " left files behind (or did not write what it keeps)";
    fs::remove_all(tmp);
  }
  fs::remove_all(logs);
}

}  // namespace
