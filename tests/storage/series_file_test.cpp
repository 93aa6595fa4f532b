// SeriesFile round trips: rows appended and read back, NaN for missing columns, errors named.
#include <cmath>
#include <functional>

#include <gtest/gtest.h>

#include "storage/run_index.h"
#include "storage/series_file.h"
#include "tests/support/expect_error.h"
#include "tests/support/scratch.h"

namespace qlsweep::storage {
namespace {

using testing::ScratchDir;

std::string ErrorOf(const std::function<void()>& action) {
  return qlsweep::testing::ErrorOf<StorageError>(action);
}

TEST(SeriesFileTest, RowsAndAttributesRoundTrip) {
  ScratchDir dir;
  const std::string path = dir.File("t1.h5");
  const std::string config = R"({"lora":{"r":16},"note":"ünïcode"})";
  {
    SeriesFile file(path, "t1", config);
    for (int step = 1; step <= 3; ++step) {
      file.Append("train", {{"step", step},
                            {"loss", 4.0 / step},
                            {"lr", 1e-4 * step},
                            {"grad_norm", 0.5},
                            {"step_time_s", 0.25},
                            {"tokens", 2048},
                            {"alloc_bytes", 1e9},
                            {"reserved_bytes", 2e9}});
    }
    file.Append(
        "eval",
        {{"step", 3}, {"eval_loss", 1.5}, {"perplexity", std::exp(1.5)}, {"token_accuracy", 0.42}});
  }
  EXPECT_EQ(ReadSeries(path, "train/step"), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(ReadSeries(path, "/train/loss"), (std::vector<double>{4.0, 2.0, 4.0 / 3}));
  EXPECT_EQ(ReadSeries(path, "train/reserved_bytes"), (std::vector<double>{2e9, 2e9, 2e9}));
  EXPECT_EQ(ReadSeries(path, "eval/eval_loss"), std::vector<double>{1.5});
  EXPECT_EQ(ReadSeries(path, "eval/token_accuracy"), std::vector<double>{0.42});
  EXPECT_EQ(ReadRootAttribute(path, "trial_id"), "t1");
  EXPECT_EQ(ReadRootAttribute(path, "config"), config);
}

TEST(SeriesFileTest, EveryColumnExistsBeforeAnyRowIsWritten) {
  ScratchDir dir;
  const std::string path = dir.File("empty.h5");
  SeriesFile file(path, "t0", "{}");
  for (const std::string& column : SeriesFile::TrainColumns()) {
    EXPECT_TRUE(ReadSeries(path, "train/" + column).empty()) << column;
  }
  for (const std::string& column : SeriesFile::EvalColumns()) {
    EXPECT_TRUE(ReadSeries(path, "eval/" + column).empty()) << column;
  }
}

TEST(SeriesFileTest, MissingColumnsAreNaN) {
  ScratchDir dir;
  const std::string path = dir.File("t2.h5");
  {
    SeriesFile file(path, "t2", "{}");
    file.Append("train", {{"step", 1}, {"loss", 3.5}});
    file.Append("train", {{"step", 2}, {"grad_norm", 0.75}});
  }
  const auto loss = ReadSeries(path, "train/loss");
  ASSERT_EQ(loss.size(), 2u);
  EXPECT_EQ(loss[0], 3.5);
  EXPECT_TRUE(std::isnan(loss[1]));
  const auto grad_norm = ReadSeries(path, "train/grad_norm");
  ASSERT_EQ(grad_norm.size(), 2u);
  EXPECT_TRUE(std::isnan(grad_norm[0]));
  EXPECT_EQ(grad_norm[1], 0.75);
  EXPECT_TRUE(ReadSeries(path, "eval/step").empty());
}

TEST(SeriesFileTest, ManyRowsCrossChunkBoundaries) {
  ScratchDir dir;
  const std::string path = dir.File("long.h5");
  {
    SeriesFile file(path, "long", "{}");
    for (int step = 0; step < 600; ++step) file.Append("train", {{"step", step}});
  }
  const auto steps = ReadSeries(path, "train/step");
  ASSERT_EQ(steps.size(), 600u);
  for (int step = 0; step < 600; ++step) ASSERT_EQ(steps[step], step);
}

TEST(SeriesFileTest, UnknownColumnOrGroupIsAnErrorNamingItAndTheFile) {
  ScratchDir dir;
  const std::string path = dir.File("t3.h5");
  SeriesFile file(path, "t3", "{}");
  const std::string column = ErrorOf([&] { file.Append("train", {{"step", 1}, {"los", 2}}); });
  EXPECT_NE(column.find("'los'"), std::string::npos) << column;
  EXPECT_NE(column.find(path), std::string::npos) << column;
  const std::string group = ErrorOf([&] { file.Append("test", {{"step", 1}}); });
  EXPECT_NE(group.find("'test'"), std::string::npos) << group;
  EXPECT_NE(group.find(path), std::string::npos) << group;
  EXPECT_NE(ErrorOf([&] { file.Append("eval", {{"loss", 1}}); }), "");  // a train-only column
  EXPECT_TRUE(ReadSeries(path, "train/step").empty());                  // nothing was written
}

TEST(SeriesFileTest, ReadErrorsNameTheFileAndTheDataset) {
  ScratchDir dir;
  const std::string path = dir.File("t4.h5");
  { SeriesFile file(path, "t4", "{}"); }
  const std::string dataset = ErrorOf([&] { ReadSeries(path, "train/nosuch"); });
  EXPECT_NE(dataset.find("train/nosuch"), std::string::npos) << dataset;
  EXPECT_NE(dataset.find(path), std::string::npos) << dataset;
  const std::string attribute = ErrorOf([&] { ReadRootAttribute(path, "nosuch"); });
  EXPECT_NE(attribute.find("nosuch"), std::string::npos) << attribute;
  const std::string missing = dir.File("missing.h5");
  const std::string file = ErrorOf([&] { ReadSeries(missing, "train/step"); });
  EXPECT_EQ(file,
            "series file " + missing + ": cannot open for reading: No such file or directory");
  EXPECT_EQ(ErrorOf([&] { ReadSeries(dir.File(""), "train/step"); }),
            "series file " + dir.File("") + ": is a directory, not an HDF5 file");
  EXPECT_EQ(ErrorOf([&] { ReadSeries("/dev/null", "train/step"); }),
            "series file /dev/null: is not a regular file (a device, FIFO or socket)");
  const std::string create =
      ErrorOf([&] { SeriesFile bad(dir.File("no/such/dir/t.h5"), "t", "{}"); });
  EXPECT_NE(create.find("no/such/dir/t.h5"), std::string::npos) << create;
}

TEST(SeriesFileTest, CreatingTruncatesAnOldFile) {
  ScratchDir dir;
  const std::string path = dir.File("t5.h5");
  {
    SeriesFile file(path, "old", "{}");
    file.Append("train", {{"step", 1}});
  }
  { SeriesFile file(path, "new", "{}"); }
  EXPECT_TRUE(ReadSeries(path, "train/step").empty());
  EXPECT_EQ(ReadRootAttribute(path, "trial_id"), "new");
}

}  // namespace
}  // namespace qlsweep::storage
