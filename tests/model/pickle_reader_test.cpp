// The restricted pickle reader on hand-assembled pickles (opcodes as in
// CPython's pickletools).
#include "model/formats/pth/pickle_reader.hpp"

#include <gtest/gtest.h>

namespace resr {
namespace {

using Kind = PickleValue::Kind;
using namespace std::string_literals;

constexpr std::string_view kAllowed[] = {"collections.OrderedDict", "torch.FloatStorage"};

Result<Unpickled> read(const std::string& program) {
  return read_pickle({reinterpret_cast<const uint8_t*>(program.data()), program.size()}, kAllowed);
}

std::string error_of(const std::string& program) {
  Result<Unpickled> result = read(program);
  if (result.is_ok()) return "(no error)";
  EXPECT_EQ(result.status().code(), ErrorCode::kInvalidModel);
  return result.status().message();
}

TEST(PickleReader, ReadsIntegersOfEveryWidth) {
  // (BININT1 200, BININT2 60000, BININT -5, LONG1 -2, LONG1 2^40, LONG1 0)
  const std::string program =
      "\x80\x02(K\xc8M\x60\xea"
      "J\xfb\xff\xff\xff"
      "\x8a\x01\xfe"
      "\x8a\x06\x00\x00\x00\x00\x00\x01"
      "\x8a\x00t."s;
  Result<Unpickled> result = read(program);
  ASSERT_TRUE(result.is_ok()) << result.status().message();
  const PickleValue& tuple = result->root();
  ASSERT_EQ(tuple.kind, Kind::kTuple);
  std::vector<int64_t> values;
  for (const PickleValue* item : tuple.items) values.push_back(item->integer);
  EXPECT_EQ(values, (std::vector<int64_t>{200, 60000, -5, -2, int64_t{1} << 40, 0}));
}

TEST(PickleReader, ReadsFloatsStringsAndConstants) {
  // (BINFLOAT 1.5, SHORT_BINUNICODE "hi", NONE, NEWTRUE) as TUPLE... via MARK
  const std::string program =
      "\x80\x02(G\x3f\xf8\x00\x00\x00\x00\x00\x00"
      "\x8c\x02hiN\x88t."s;
  Result<Unpickled> result = read(program);
  ASSERT_TRUE(result.is_ok()) << result.status().message();
  const auto& items = result->root().items;
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0]->real, 1.5);
  EXPECT_EQ(items[1]->text, "hi");
  EXPECT_EQ(items[2]->kind, Kind::kNone);
  EXPECT_EQ(items[3]->kind, Kind::kBool);
  EXPECT_EQ(items[3]->integer, 1);
}

TEST(PickleReader, BuildsOrderedDictsAndRecordsOtherCallsWithoutRunningThem) {
  // OrderedDict() filled by SETITEMS; a FloatStorage "call" kept as data.
  const std::string program =
      "\x80\x02"
      "ccollections\nOrderedDict\nq\x00)R(X\x01\x00\x00\x00"
      "a"
      "K\x01"
      "X\x01\x00\x00\x00"
      "b"
      "ctorch\nFloatStorage\n)Ru."s;
  Result<Unpickled> result = read(program);
  ASSERT_TRUE(result.is_ok()) << result.status().message();
  const PickleValue& dict = result->root();
  ASSERT_EQ(dict.kind, Kind::kDict);
  ASSERT_NE(dict.find("a"), nullptr);
  EXPECT_EQ(dict.find("a")->integer, 1);
  ASSERT_NE(dict.find("b"), nullptr);
  EXPECT_TRUE(dict.find("b")->is_call_of("torch.FloatStorage"));
  EXPECT_EQ(dict.find("c"), nullptr);
}

TEST(PickleReader, SharesMemoisedValuesAndSurvivesCycles) {
  // A list that contains itself: EMPTY_LIST BINPUT 0 BINGET 0 APPEND.
  Result<Unpickled> result = read(
      "\x80\x02]q\x00h\x00"
      "a."s);
  ASSERT_TRUE(result.is_ok()) << result.status().message();
  const PickleValue& list = result->root();
  ASSERT_EQ(list.items.size(), 1u);
  EXPECT_EQ(list.items[0], &list);
}

TEST(PickleReader, RefusesGlobalsOutsideTheAllowList) {
  EXPECT_EQ(error_of("\x80\x02"
                     "cbuiltins\neval\n."),
            "pickle byte 2: disallowed global 'builtins.eval': a state dict references only "
            "PyTorch tensor types, so the file is not a plain checkpoint (nothing was executed)");
  // Protocol 4 names globals through STACK_GLOBAL.
  EXPECT_NE(error_of("\x80\x04\x8c\x02os\x8c\x06system\x93.").find("disallowed global 'os.system'"),
            std::string::npos);
}

TEST(PickleReader, NamesTheByteOfEachMalformation) {
  EXPECT_EQ(error_of("\x80\x02\xff."),
            "pickle byte 2: unknown pickle opcode 0xff (not one "
            "torch.save writes for a state dict)");
  EXPECT_EQ(error_of("\x80\x06."), "pickle byte 0: pickle protocol 6 is newer than 5");
  EXPECT_EQ(error_of("\x80\x02h\x07."), "pickle byte 2: memo slot 7 is read before it is written");
  EXPECT_EQ(error_of("\x80\x02X\xff\x00\x00\x00"
                     "ab."),
            "pickle byte 2: the pickle ends inside an opcode (truncated)");
  EXPECT_EQ(error_of("\x80\x02\x8a\x09"s + std::string(9, '\x01') + "."),
            "pickle byte 2: an integer wider than 64 bits");
  EXPECT_EQ(error_of("\x80\x02N"), "the pickle ends without a STOP opcode (truncated)");
  EXPECT_EQ(error_of("\x80\x02."), "pickle byte 2: an opcode needs a value but the stack is empty");
  // A MARK fences off what lies below it, as in CPython.
  EXPECT_EQ(error_of("\x80\x02}(K\x01K\x02s."),
            "pickle byte 8: an opcode needs a value but the stack is empty");
  EXPECT_EQ(error_of("\x80\x02](K\x01K\x02u."),
            "pickle byte 8: SETITEM(S) on something that is not a dict");
  EXPECT_EQ(error_of("\x80\x02]K\x01K\x02u."),
            "pickle byte 7: an opcode needs a MARK but there is none");
  EXPECT_EQ(error_of("\x80\x02K\x01)R."),
            "pickle byte 5: REDUCE needs a global and an argument tuple");
}

TEST(PickleReader, BoundsTheValuesAPickleMayBuild) {
  const std::string program = "\x80\x02" + std::string(kMaxPickleValues + 1, 'N') + ".";
  EXPECT_NE(error_of(program).find("builds more than 1048576 values"), std::string::npos);
  EXPECT_NE(error_of(std::string(kMaxPickleBytes + 1, 'N')).find("more than the 16 MiB"),
            std::string::npos);
}

}  // namespace
}  // namespace resr
