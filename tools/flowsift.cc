// flowsift: batch processor for AWS VPC Flow Logs. See README.md and SPEC.md.
#include <fmt/core.h>
#include <mimalloc.h>
#include <pthread.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <iostream>
#include <memory>
#include <new>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "kernels/target.h"
#include "pipeline/edit_distance.h"
#include "pipeline/temporaries.h"
#include "tools/commands.h"
#include "tools/heap_pages.h"
#include "tools/show_print.h"

namespace {

const char kDescription[] =
    "flowsift - fast batch processing of AWS VPC Flow Logs.\n"
    "\n"
    "Reads archived flow logs (plain, gzip, zstd; any field order given by each file's header),\n"
    "parses them with SIMD kernels and summarises traffic per interface and time window.\n"
    "\n"
    "Examples:\n"
    "  flowsift run logs/ -o out           summarise a directory of flow logs into out/\n"
    "  flowsift demo                       generate a sample data set, parse it, print a summary\n"
    "  flowsift gen -o data --bytes 1G     write 1 GiB of realistic synthetic flow logs\n"
    "  flowsift show out                   overview of out/; --table windows for one table\n"
    "  flowsift export out --as ocsf       out/ as SIEM events (ocsf, ecs, splunk, asff)\n"
    "  flowsift CMD --help                 one command's flags, examples and exit codes\n";

constexpr long kDecommitDelayMs = 1000;

// Ctrl-C, `kill` and a closed terminal end the process as they always do (by the signal, exit
// status 128 + its number), but first its temporaries go (pipeline/temporaries.h): a run killed
// mid-way left its hidden .OUT.tmp-HOST-XXXXXX directory behind. Once run's or merge's OUT (or
// export's -o file) is published, a signal ends nothing: the command finishes its report and exits
// with its own status, 0 or 1 as OUT says (a complete OUT with exit 143 had failed a scheduler's
// job, and its retry found OUT there); a second signal then stops the report, with that status. The
// signals are blocked in every thread (the worker threads, created later, inherit the mask) and
// taken by one thread with sigwait, which may do what a handler may not (std::filesystem). A signal
// ignored when the process started (nohup, a shell's background job) stays ignored.
void RemoveTemporariesOnInterrupt() {
  sigset_t set;
  sigemptyset(&set);
  for (const int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old {};
    if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler != SIG_IGN) sigaddset(&set, sig);
  }
  if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) return;
  std::thread([set] {
    int sig = 0;
    for (bool told = false;;) {
      if (sigwait(&set, &sig) != 0) return;
      if (flowsift::RemoveTemporariesUnlessPublished()) break;
      // Published: the report goes on, but a second signal is someone who means it (a report
      // stuck on a stdout nobody reads had taken SIGKILL to end). It ends the process with the
      // command's own status, once only the report is left (SetReportStatus).
      flowsift::CloseProgressLine();
      if (const int status = flowsift::ReportStatus(); told && status >= 0) _exit(status);
      if (!told) {
        static constexpr char kNote[] =
            "flowsift: note: the output is complete and in place; finishing the report (signal "
            "again to stop it now, with the same exit status)\n";
        [[maybe_unused]] const ssize_t n = write(STDERR_FILENO, kNote, sizeof kNote - 1);
        told = true;
      }
    }
    flowsift::CloseProgressLine();  // the shell's prompt on a line of its own
    std::signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
    raise(sig);  // unblocked in this thread, by default: ends the process
    _exit(128 + sig);
  }).detach();
}

// std::cout kept in a string from construction to Restore (or destruction), then Print writes
// it to stdout: see main, where CLI11 prints its --help and --version.
class CoutKept {
 public:
  CoutKept() : old_(std::cout.rdbuf(kept_.rdbuf())) {}
  ~CoutKept() { Restore(); }
  CoutKept(const CoutKept&) = delete;
  CoutKept& operator=(const CoutKept&) = delete;
  void Restore() {
    if (old_ != nullptr) std::cout.rdbuf(old_);
    old_ = nullptr;
  }
  // Restores std::cout and writes what was kept; false (said on stderr) when stdout failed.
  bool Print() {
    Restore();
    flowsift::tools::Output out;
    out.text() = kept_.str();
    return flowsift::tools::FlushOrReport(out);
  }

 private:
  std::ostringstream kept_;
  std::streambuf* old_;
};

// An error message that cannot throw: fmt::print throws when stderr cannot be written, and the
// exit code must still say what happened. Printable: most messages quote a path or value as the
// user gave it, and a control byte in one (an ESC, a newline) moved the cursor or split the line.
void Complain(const std::string& message) {
  const char* text = message.c_str();
  std::string shown;
  try {
    shown = flowsift::tools::Printable(message);
    text = shown.c_str();
  } catch (const std::bad_alloc&) {  // out of memory (the message that says so): as it is
  }
  std::fprintf(stderr, "flowsift: %s\n", text);
}

// An option given an empty value (`--config ""`, or `--config "$CONF"` with CONF unset) is a
// usage error: taken as not given, it had run with the default thresholds without a word.
void RefuseEmptyValues(const CLI::App& cmd) {
  for (const CLI::Option* o : cmd.get_options()) {
    if (o->get_positional() || o->count() == 0 || o->get_type_size_max() == 0) continue;
    for (const std::string& value : o->results()) {
      if (value.empty()) {
        throw CLI::ValidationError(o->get_name(), "empty value (an unset shell variable?)");
      }
    }
  }
}

// Of `names`, the one `word` most likely meant: one it begins (alone), else the nearest within
// two edits; "" for none.
std::string Nearest(const std::string& word, const std::vector<std::string>& names) {
  std::string begun;
  int begins = 0;
  for (const std::string& n : names) {
    if (n.size() > word.size() && n.compare(0, word.size(), word) == 0) begun = n, ++begins;
  }
  if (begins == 1) return begun;
  std::string best;
  size_t best_distance = 3;
  for (const std::string& n : names) {
    const size_t d = flowsift::EditDistance(word, n);
    if (d < best_distance) best = n, best_distance = d;
  }
  return best;
}

// The first word of the command line that is not an option, when it is no command's name
// (`flowsift shwo -V`); "" when it is one, or when there is none.
std::string UnknownCommandWord(const CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.empty() || arg[0] == '-') continue;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->get_name() == arg) return {};
    }
    return arg;
  }
  return {};
}

// After CLI11's "The following argument was not expected: ...": what was probably meant. An
// unknown command (`flowsift rnu logs`) is named with the commands there are; an unknown long
// flag with the nearest flag of its command (`--thread`: --threads). CLI11 named neither.
void SuggestForExtras(const CLI::App& app, int argc, char** argv) {
  const CLI::App* cmd = nullptr;
  std::vector<std::string> commands;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    commands.push_back(sub->get_name());
  }
  int first = 1;  // the arguments after the command's name
  for (int i = 1; i < argc && cmd == nullptr; ++i) {
    const std::string arg = argv[i];
    if (arg.empty() || arg[0] == '-') continue;
    if (std::find(commands.begin(), commands.end(), arg) != commands.end()) {
      cmd = app.get_subcommand(arg);
      first = i + 1;
    } else {
      std::string list;
      for (const std::string& c : commands) list += (list.empty() ? "" : ", ") + c;
      // `flowsift version` is the flag (`flowsift help run`: the line's end says `run --help`).
      const std::string near = arg == "version" ? "--version" : Nearest(arg, commands);
      Complain("'" + arg + "' is not a command" +
               (near.empty() ? "" : " (did you mean " + near + "?)") + "; the commands are " +
               list + ", and `flowsift CMD --help` shows one's flags");
      return;
    }
  }
  // -V and --version are flowsift's, not a command's: after one (`flowsift run -V`) CLI11 said
  // only that it was not expected, and `show --version` that OUT is required.
  for (int i = first; i < argc && cmd != nullptr; ++i) {
    if (const std::string arg = argv[i]; arg == "-V" || arg == "--version") {
      Complain(arg + " goes before the command: `flowsift " + arg +
               "` prints the version (no command takes it)");
      return;
    }
  }
  const CLI::App& scope = cmd != nullptr ? *cmd : app;
  std::vector<std::string> flags;
  for (const CLI::Option* o : scope.get_options()) {
    for (const std::string& l : o->get_lnames()) flags.push_back("--" + l);
  }
  for (int i = first; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) continue;
    const std::string name = arg.substr(0, arg.find('='));  // --name=value
    if (std::find(flags.begin(), flags.end(), name) != flags.end()) continue;
    // --format is what other tools call show's and export's --as (no edit of it is near).
    const bool format_is_as = name == "--format" && scope.get_option_no_throw("--as") != nullptr;
    if (const std::string near = format_is_as ? "--as" : Nearest(name, flags); !near.empty()) {
      Complain(arg + ": did you mean " + near + "? (`flowsift " +
               (cmd != nullptr ? cmd->get_name() + " " : std::string()) + "--help` lists them)");
      return;
    }
  }
}

// --help names each value by what it is (FILE, DIR, TIME ...), not by CLI11's TEXT. A name
// here that no option has throws (CLI::OptionNotFound) on every start: tests fail at once.
void NameValues(CLI::App* cmd, std::initializer_list<std::pair<const char*, const char*>> names) {
  for (const auto& [option, name] : names) cmd->get_option(option)->type_name(name);
}

// `flowsift --help` lists each command by its description's first sentence; the rest (its
// examples and exit codes) is in `flowsift CMD --help`. The whole of each made the top-level
// help ~100 lines, the command list past a terminal's first screen.
class CommandListFormatter : public CLI::Formatter {
 public:
  std::string make_subcommand(const CLI::App* sub) const override {
    std::string text = sub->get_description();
    text = text.substr(0, text.find("\n\n"));  // the first paragraph
    for (size_t at = text.find('.'); at != std::string::npos; at = text.find('.', at + 1)) {
      if (at + 1 == text.size() || text[at + 1] == ' ' || text[at + 1] == '\n') {
        text.resize(at + 1);  // its first sentence
        break;
      }
    }
    std::stringstream out;
    CLI::detail::format_help(out, sub->get_display_name(true), text, get_column_width());
    return out.str();
  }
};

}  // namespace

int main(int argc, char** argv) {
  // The run's per-window and per-key state (distinct counters, port bitmaps, detector state) is
  // thousands of heap blocks probed at random. On 4 KiB pages nearly every probe misses the TLB
  // too, and in a VM the page walk is nested; so mimalloc takes its segments on 2 MiB pages
  // (transparent huge pages by madvise; the big hash tables do the same, huge_pages.h) unless
  // fresh 2 MiB pages cost this host far more than 4 KiB ones (ChooseHeapPages). One thread,
  // 1 GiB: -7.5% CPU, peak RSS +6% (docs/performance-history.md, "Eighth session"). Where huge
  // pages are cheap to fault they also save ~90% of a run's faults: 0.81-0.87x the wall time on
  // the Zen 5 PVM guests ("Forty-first session"). Where fresh huge pages cost 3-5x what 4 KiB
  // pages cost a byte (a Zen 3 guest in the fourteenth session, an Intel Xeon after idle in the
  // fifty-fourth), 4 KiB pages took 0.78-0.97x the wall time.
  flowsift::tools::ChooseHeapPages(argv);
  using namespace flowsift::tools;
  // A write past the file-size limit (`ulimit -f`, RLIMIT_FSIZE) would kill the process by
  // SIGXFSZ, leaving its temporary files behind. Ignored, the write fails with EFBIG instead and
  // takes the path of any failed write: a message naming the file, the temporary removed, exit 3.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    RemoveTemporariesOnInterrupt();
  } catch (const std::exception& e) {  // no thread (a memory limit's stacks): nothing can run
    Complain(std::string("cannot start: ") + e.what() +
             " (a memory or process limit: `ulimit -v`, `ulimit -u`, a container's)");
    return kExitOutput;
  }

  // mimalloc hands heap memory that stayed free for 25 ms back to the kernel (MADV_DONTNEED),
  // and a run frees and reuses blocks within a second all the time (vectors grown, a window's
  // tables, the detector's lists): each page handed back is a fault and a clear when it is
  // touched again, several microseconds on a PVM guest. After a second instead: minor faults
  // -9% to -19%, wall 0.96x on the 1 GiB v2 set (one and two threads), peak RSS within +2.4%
  // (docs/performance-history.md, "Forty-first session"). MIMALLOC_DECOMMIT_DELAY wins.
  if (std::getenv("MIMALLOC_DECOMMIT_DELAY") == nullptr) {
    mi_option_set(mi_option_decommit_delay, kDecommitDelayMs);
  }
  CLI::App app(kDescription, "flowsift");
  app.require_subcommand(0, 1);
  app.set_version_flag(
      "-V,--version",
      fmt::format("flowsift {}\nSIMD target: {} (available: {})\nHeap pages: {}\nFreed heap "
                  "memory: returned to the kernel after {} ms unused",
                  FLOWSIFT_VERSION, flowsift::kernels::ActiveTargetName(),
                  flowsift::kernels::AvailableTargetNames(), HeapPagesText(),
                  mi_option_get(mi_option_decommit_delay)),
      "Print the version, the SIMD target chosen for this CPU and the allocator's page size");

  RunFlags run;
  CLI::App* run_cmd = AddRun(app, run);
  DemoFlags demo;
  CLI::App* demo_cmd = AddDemo(app, demo);
  GenFlags gen;
  CLI::App* gen_cmd = AddGen(app, gen);
  ShowFlags show;
  CLI::App* show_cmd = AddShow(app, show);
  ExportFlags export_flags;
  CLI::App* export_cmd = AddExport(app, export_flags);
  MergeFlags merge;
  CLI::App* merge_cmd = AddMerge(app, merge);
  NameValues(run_cmd, {{"inputs", "PATH"},
                       {"--files-from", "FILE"},
                       {"--out", "OUT"},
                       {"--window", "WINDOW"},
                       {"--format", "FORMAT"},
                       {"--since", "TIME"},
                       {"--until", "TIME"},
                       {"--shard", "I/N"},
                       {"--stats-json", "FILE"},
                       {"--config", "FILE"}});
  // show's and export's OUT is named as the docs write it: "OUT is required" when it is not
  // given ("out is required" read as a word of the sentence).
  NameValues(show_cmd, {{"OUT", ""},
                        {"--interface", "ID"},
                        {"--type", "TYPE"},
                        {"--since", "TIME"},
                        {"--until", "TIME"},
                        {"--id", "ID"}});
  NameValues(export_cmd,
             {{"OUT", ""}, {"--output", "FILE"}, {"--region", "REGION"}, {"--account", "ID"}});
  NameValues(merge_cmd, {{"parts", "PART"}, {"--parts-from", "FILE"}, {"--out", "OUT"}});
  NameValues(gen_cmd, {{"--out", "DIR"}, {"--bytes", "SIZE"}, {"--format", "FORMAT"}});
  NameValues(demo_cmd, {{"--out", "DIR"}});
  // After the commands were added: theirs stay CLI11's own (a command's --help is whole).
  app.formatter(std::make_shared<CommandListFormatter>());
  // CLI11's own errors ("--out is required", "The following argument was not expected: ...")
  // begin "flowsift: " as flowsift's do, their argument escaped as every other message's, and
  // name the --help of the command they are about (CLI11's "Run with --help" after `flowsift gen
  // -o x --interval 30` led to the top-level help, which has no flag of gen's).
  app.failure_message([](const CLI::App* failed, const CLI::Error& e) {
    std::string help = "flowsift --help";
    for (const CLI::App* sub : failed->get_subcommands()) {
      help = "flowsift " + sub->get_name() + " --help";
    }
    return "flowsift: " + flowsift::tools::Printable(e.what()) + "\nRun `" + help +
           "` for more information.\n";
  });

  // CLI11 prints --help and --version to std::cout, ending them with std::endl: a write that
  // failed there had set errno long before the stream could be asked, so a full disk and a
  // closed pipe read alike. What it prints while parsing is kept and written through Output,
  // which keeps the errno of the write that failed.
  CoutKept cli_printed;
  try {
    app.parse(argc, argv);
    cli_printed.Restore();
  } catch (const CLI::ParseError& e) {
    // CLI11 answers -V and --help as it meets them, before it finds that a word before them is
    // no command: `flowsift shwo -V` printed the version and `flowsift shwo --help` the help, exit
    // 0, where `flowsift shwo` is a usage error. It is that error first.
    if (e.get_exit_code() == 0) {
      if (const std::string word = UnknownCommandWord(app, argc, argv); !word.empty()) {
        (void)app.exit(CLI::ExtrasError({word}));
        SuggestForExtras(app, argc, argv);
        return kExitUsage;
      }
    }
    const int code = app.exit(e);
    const bool printed = cli_printed.Print();
    if (code != 0) {
      // A required option missing may be one given under another name (export --format ocsf:
      // CLI11 says "--as is required" before it looks at the flags it does not know).
      if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr ||
          dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
        SuggestForExtras(app, argc, argv);
      }
      return kExitUsage;
    }
    // --help and --version: to a full disk they are cut short too.
    return printed ? kExitOk : kExitOutput;
  }
  // For the manifests of run and merge.
  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
  auto dispatch = [&]() -> int {
    try {
      for (const CLI::App* cmd : app.get_subcommands()) RefuseEmptyValues(*cmd);
      if (run_cmd->parsed()) return RunRun(run, command_line);
      if (demo_cmd->parsed()) {
        if (std::string_view(argv[0]).find('/') != std::string_view::npos) demo.program = argv[0];
        return RunDemo(demo);
      }
      if (gen_cmd->parsed()) return RunGen(gen);
      if (show_cmd->parsed()) return RunShow(show);
      if (export_cmd->parsed()) return RunExport(export_flags);
      if (merge_cmd->parsed()) return RunMerge(merge, command_line);
    } catch (const CLI::ValidationError& e) {
      Complain(e.what());
      return kExitUsage;
    } catch (const std::bad_alloc&) {
      // Nothing is published after this: the temporaries of what was being written go.
      flowsift::RemoveTemporariesForExit();
      Complain(flowsift::kOutOfMemoryMessage);
      return kExitOutput;
    } catch (const std::exception& e) {
      // Also fmt's system_error when stderr itself cannot be written (2>/dev/full).
      flowsift::RemoveTemporariesForExit();
      // oneTBB's worker threads need stacks: under a memory limit it throws with pthread's
      // words alone, which named no limit ("pthread_create has failed: Resource temporarily
      // unavailable" under `ulimit -v 60000`).
      const std::string what = e.what();
      Complain(what.find("pthread_create") != std::string::npos
                   ? "cannot start a worker thread: " + what +
                         " (a memory or process limit: `ulimit -v`, `ulimit -u`, a container's; "
                         "or fewer threads: -j)"
                   : what);
      return kExitOutput;
    }
    // No command (`flowsift` alone, or with top-level flags only): a usage error, said in a
    // line of its own before the help (the help alone, exit 2, read as a failure of nothing).
    std::string commands;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      commands += (commands.empty() ? "" : ", ") + sub->get_name();
    }
    Complain("no command given: give one of " + commands +
             " (`flowsift CMD --help` shows one's flags)");
    fmt::print(stderr, "\n{}", app.help());
    return kExitUsage;
  };
  const int code = dispatch();
  // What went to stdout (show's tables, an export without -o, --print-config) and could not all
  // be written, to a full disk or past `ulimit -f`, is an output error even where the command
  // did not check each write: a truncated table must not exit 0.
  const bool flushed = std::fflush(stdout) == 0;
  const int flush_errno = errno;
  if ((!flushed || std::ferror(stdout) != 0) && code != kExitOutput) {
    Complain("cannot write to stdout" +
             (flushed
                  ? std::string(": the output is incomplete (a full disk, or past `ulimit -f`?)")
                  : std::string(": ") + std::strerror(flush_errno)));
    return kExitOutput;
  }
  return code;
}
