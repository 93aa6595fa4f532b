# Finds the charter's dependencies the ordinary way (find_package) and records what was found.
# The Python whose site-packages hold torch (libtorch) and h5py (tests); scripts/setup makes it.
set(QLSWEEP_PYTHON "/opt/qlsweep/venv/bin/python" CACHE FILEPATH "Python with torch and h5py")
find_package(Threads REQUIRED)
find_package(yaml-cpp REQUIRED)
if(NOT TARGET yaml-cpp::yaml-cpp)  # yaml-cpp 0.7 (Debian 12) exports a plain `yaml-cpp` target
  add_library(yaml-cpp::yaml-cpp ALIAS yaml-cpp)
endif()
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(HDF5 REQUIRED COMPONENTS C)
find_package(GTest REQUIRED)
# SQLite: the GPU machine has libsqlite3.so.0 but no header; scripts/device passes
# SQLite3_INCLUDE_DIR (a carried sqlite3.h) and SQLite3_LIBRARY (the .so.0) explicitly.
find_package(SQLite3 REQUIRED)
include(${CMAKE_CURRENT_LIST_DIR}/SentencePiece.cmake)  # optional: tokenizer.model files

if(QLSWEEP_WITH_CUDA)
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      # 8.9: the RTX 4050 (Ada) the tool targets; 9.0: the H100/H200 it is measured on.
      set(CMAKE_CUDA_ARCHITECTURES 89 90)
    endif()
    enable_language(CUDA)
    set(CMAKE_CUDA_STANDARD 17)  # CMake 3.25 knows no CUDA20 dialect for nvcc
    find_package(CUDAToolkit REQUIRED)
  else()
    message(STATUS "qlsweep: no CUDA compiler found; building without CUDA kernels")
    set(QLSWEEP_WITH_CUDA OFF)
  endif()
endif()

if(QLSWEEP_WITH_TORCH)
  if(NOT Torch_DIR)
    # libtorch comes from PyPI's torch wheel; scripts/setup installs it into /opt/qlsweep/venv.
    execute_process(
      COMMAND ${QLSWEEP_PYTHON} -c
        "import importlib.util,os;print(os.path.join(os.path.dirname(importlib.util.find_spec('torch').origin),'share','cmake','Torch'))"
      OUTPUT_VARIABLE _torch_dir OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rc)
    if(_rc EQUAL 0)
      set(Torch_DIR "${_torch_dir}" CACHE PATH "TorchConfig.cmake folder")
    endif()
  endif()
  if(NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
    # Torch's CMake ignores CMAKE_CUDA_ARCHITECTURES and would otherwise probe for a GPU.
    set(ENV{TORCH_CUDA_ARCH_LIST} "8.9;9.0")
  endif()
  find_package(Torch REQUIRED)
  get_filename_component(QLSWEEP_TORCH_LIB_DIR "${TORCH_LIBRARY}" DIRECTORY)
endif()

if(QLSWEEP_WITH_MPI)
  find_package(MPI COMPONENTS CXX)
  if(NOT MPI_CXX_FOUND)
    message(STATUS "qlsweep: MPI not found; building without MPI")
    set(QLSWEEP_WITH_MPI OFF)
  endif()
endif()

if(QLSWEEP_WITH_NCCL AND QLSWEEP_WITH_CUDA AND QLSWEEP_WITH_MPI)
  find_path(NCCL_INCLUDE_DIR nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS} /usr/include)
  find_library(NCCL_LIBRARY NAMES nccl HINTS ${CUDAToolkit_LIBRARY_DIR} /usr/lib/x86_64-linux-gnu)
  if(NCCL_INCLUDE_DIR AND NCCL_LIBRARY)
    add_library(qlsweep_nccl INTERFACE)
    target_include_directories(qlsweep_nccl SYSTEM INTERFACE ${NCCL_INCLUDE_DIR})
    target_link_libraries(qlsweep_nccl INTERFACE ${NCCL_LIBRARY})
  else()
    message(STATUS "qlsweep: NCCL not found; building without NCCL")
    set(QLSWEEP_WITH_NCCL OFF)
  endif()
else()
  set(QLSWEEP_WITH_NCCL OFF)
endif()
