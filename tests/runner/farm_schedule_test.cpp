// Farm scheduling without MPI: each worker's GPU, the longest-first order, how many workers a
// sharded trial takes, best-fit placement on one host and the hold that keeps a sharded trial
// from starving.
#include "runner/farm_schedule.h"

#include <gtest/gtest.h>

#include "runner/series_rows.h"
#include "runner/trial_prediction.h"
#include "storage/series_file.h"
#include "sweeps/load.h"

namespace qlsweep::runner {
namespace {

std::vector<FarmWorker> Workers(const std::vector<std::string>& hosts, const std::string& gpu) {
  std::vector<WorkerHello> hellos;
  for (size_t i = 0; i < hosts.size(); ++i) {
    hellos.push_back({hosts[i], 100 + static_cast<int>(i), static_cast<int>(i),
                      gpu.empty() ? std::vector<std::string>{} : std::vector<std::string>{gpu}});
  }
  auto workers = FarmWorkers(hellos);
  for (auto& w : workers) w.gpu = gpu;
  return workers;
}

TEST(FarmSchedule, WorkersOfAHostTakeItsGpusInLocalRankOrder) {
  // Rank 0 (the coordinator) shares node a with ranks 1 and 2; node b has ranks 3-5 for 2 GPUs.
  const std::vector<WorkerHello> hellos = {{"a", 11, 2, {"0", "1"}}, {"a", 12, 1, {"0", "1"}},
                                           {"b", 13, 0, {"4", "5"}}, {"b", 14, 1, {"4", "5"}},
                                           {"b", 15, 2, {"4", "5"}}, {"c", 16, 0, {}}};
  const auto workers = FarmWorkers(hellos);
  ASSERT_EQ(workers.size(), 6u);
  EXPECT_EQ(workers[0].rank, 1);
  EXPECT_EQ(workers[0].pid, 11);
  EXPECT_EQ(workers[0].gpu, "1");  // local rank 2 is the second worker on a
  EXPECT_EQ(workers[1].gpu, "0");
  EXPECT_EQ(workers[2].gpu, "4");
  EXPECT_EQ(workers[3].gpu, "5");
  EXPECT_EQ(workers[4].gpu, "4");  // more workers than GPUs: they share, in turn
  EXPECT_EQ(workers[5].gpu, "");   // a CPU node
  EXPECT_EQ(LargestHost(workers), 3);
}

TEST(FarmSchedule, LongestPredictedWorkFirstThenLargerMemoryThenPlanningOrder) {
  const auto sweep = sweeps::LoadSweepText(R"(name: order
base:
  model: {preset: tiny}
  quantization: {type: none}
  data: {seq_len: 32}
  train: {steps: 4, warmup_steps: 0}
  eval: {interval: 0, sequences: 1}
  hardware: {device: cpu}
points:
  - {name: short, set: {train: {steps: 2}}}
  - {name: base-r4, set: {lora: {r: 4}}}
  - {name: long-seq, set: {data: {seq_len: 64}}}
  - {name: base-r8, set: {lora: {r: 8}}}
  - {name: many-steps, set: {train: {steps: 8}}}
  - {name: bigger-model, set: {model: {preset: smollm2-135m}, train: {steps: 1}}}
)",
                                           "order.yaml");
  std::deque<const sweeps::TrialConfig*> pending;
  for (const auto& t : sweep.trials) pending.push_back(&t);
  std::vector<std::string> names;
  for (const auto* t : LongestFirst(pending)) names.push_back(t->name);
  // Twice the tokens either way, but a longer sequence also costs more attention per token; r4
  // and r8 have the same work, and r8's adapters make its predicted peak larger.
  EXPECT_EQ(names, (std::vector<std::string>{"bigger-model", "long-seq", "many-steps", "base-r8",
                                             "base-r4", "short"}));
  const auto work = [&](const std::string& name) {
    for (const auto& t : sweep.trials) {
      if (t.name == name) return PredictedWork(t);
    }
    return 0.0;
  };
  EXPECT_NEAR(work("many-steps") / work("base-r4"), 1.9, 0.1);  // evaluation does not double
  EXPECT_GT(work("long-seq"), work("many-steps"));
}

TEST(FarmSchedule, ShardedTrialsTakeTheirGpusOnGpuFarmsAndFitCpuFarms) {
  const auto gpu = Workers({"a", "a", "b"}, "0");
  EXPECT_EQ(WorkersNeeded(1, gpu), 1);
  EXPECT_EQ(WorkersNeeded(2, gpu), 2);
  EXPECT_EQ(WorkersNeeded(4, gpu), 4);  // more than any host: the coordinator fails it
  const auto cpu = Workers({"a", "a", "b"}, "");
  EXPECT_EQ(WorkersNeeded(4, cpu), 2);  // as the plain coordinator shares its one slot
  EXPECT_EQ(WorkersNeeded(0, cpu), 1);
}

TEST(FarmSchedule, BestFitOnOneHostAndAHoldAgainstStarvation) {
  auto workers = Workers({"a", "a", "b", "b", "b"}, "0");
  // Everything idle: the pair goes to a (2 idle: the best fit), singles fill b.
  auto placed = SchedulePass(workers, {2, 1, 1, 1, 1});
  ASSERT_EQ(placed.size(), 4u);
  EXPECT_EQ(placed[0].queue_index, 0u);
  EXPECT_EQ(placed[0].workers, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(placed[1].workers, (std::vector<size_t>{2}));
  EXPECT_EQ(placed[3].queue_index, 3u);
  EXPECT_EQ(placed[3].workers, (std::vector<size_t>{4}));

  // A triple waits for b; b's idle worker is held for it, so the single behind it gets a's.
  workers[1].state = WorkerState::kBusy;
  workers[2].state = WorkerState::kBusy;
  workers[3].state = WorkerState::kBusy;
  placed = SchedulePass(workers, {3, 1, 1});
  ASSERT_EQ(placed.size(), 1u);
  EXPECT_EQ(placed[0].queue_index, 1u);
  EXPECT_EQ(placed[0].workers, (std::vector<size_t>{0}));

  // A lost worker shrinks its host: b can no longer hold three.
  workers = Workers({"a", "b", "b", "b"}, "0");
  workers[3].state = WorkerState::kLost;
  EXPECT_EQ(LargestHost(workers), 2);
  placed = SchedulePass(workers, {2, 1});
  ASSERT_EQ(placed.size(), 2u);
  EXPECT_EQ(placed[0].workers, (std::vector<size_t>{1, 2}));
  EXPECT_EQ(placed[1].workers, (std::vector<size_t>{0}));
}

TEST(SeriesRows, StepAndEvalEventsBecomeRowsOthersNone) {
  const auto step = SeriesRowOf(nlohmann::json::parse(
      R"({"event":"step","step":3,"loss":2.5,"lr":0.01,"grad_norm":1.5,"step_time_s":0.2,)"
      R"("tokens":64,"memory":{"alloc_bytes":10,"reserved_bytes":20}})"));
  ASSERT_TRUE(step.has_value());
  EXPECT_EQ(step->group, std::string(storage::kTrainGroup));
  EXPECT_EQ(step->values.size(), storage::SeriesFile::TrainColumns().size());
  EXPECT_EQ(step->values.at("loss"), 2.5);
  EXPECT_EQ(step->values.at("reserved_bytes"), 20);
  const auto eval = SeriesRowOf(nlohmann::json::parse(
      R"({"event":"eval","step":3,"eval_loss":2.0,"perplexity":7.4,"token_accuracy":0.5})"));
  ASSERT_TRUE(eval.has_value());
  EXPECT_EQ(eval->group, std::string(storage::kEvalGroup));
  EXPECT_EQ(eval->values.size(), storage::SeriesFile::EvalColumns().size());
  EXPECT_FALSE(SeriesRowOf(nlohmann::json::parse(R"({"event":"done"})")).has_value());
  EXPECT_THROW(SeriesRowOf(nlohmann::json::parse(R"({"event":"eval","step":3})")),
               nlohmann::json::exception);
}

}  // namespace
}  // namespace qlsweep::runner
