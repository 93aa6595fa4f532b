# Written by qlsweep report; re-run with: gnuplot memory-by-lora.r.gp
set terminal svg size 900,560 dynamic noenhanced font 'sans,13' background '#ffffff'
set output 'memory-by-lora.r.svg'
set linetype 1 lc rgb '#1f77b4' lw 2 pt 7
set linetype 2 lc rgb '#ff7f0e' lw 2 pt 7
set linetype 3 lc rgb '#2ca02c' lw 2 pt 7
set linetype 4 lc rgb '#d62728' lw 2 pt 7
set linetype 5 lc rgb '#9467bd' lw 2 pt 7
set linetype 6 lc rgb '#8c564b' lw 2 pt 7
set linetype 7 lc rgb '#e377c2' lw 2 pt 7
set linetype 8 lc rgb '#7f7f7f' lw 2 pt 7
set linetype 9 lc rgb '#bcbd22' lw 2 pt 7
set linetype 10 lc rgb '#17becf' lw 2 pt 7
set linetype cycle 10
set grid lc rgb '#d8d8d8' lt 1 lw 1
set border 3 lc rgb '#404040'
set tics nomirror out
set key outside right top Left reverse box lc rgb '#c0c0c0' width 1
set datafile missing 'NaN'
set title 'Peak memory by lora.r - sweep seed-memory-quality'
set xlabel 'lora.r'
set ylabel 'peak memory in use (GiB)'
set yrange [0:*]
set offsets graph 0.04, graph 0.04, graph 0.08, 0
set key inside bottom right
set logscale x 2
set xtics (4, 8, 16, 32)
plot 'memory-by-lora.r.dat' index 0 using 1:2 with linespoints ps 1.2 title 'seq_len=512, gpu_profile=', \
     'memory-by-lora.r.dat' index 1 using 1:2 with linespoints ps 1.2 title 'seq_len=1024, gpu_profile=', \
     'memory-by-lora.r.dat' index 2 using 1:2 with linespoints ps 1.2 title 'seq_len=2048, gpu_profile=', \
     'memory-by-lora.r.dat' index 3 using 1:2 with linespoints ps 1.2 title 'seq_len=4096, gpu_profile=', \
     'memory-by-lora.r.dat' index 4 using 1:2 with linespoints ps 1.2 title 'seq_len=512, gpu_profile=rtx4050-laptop-6gb', \
     'memory-by-lora.r.dat' index 5 using 1:2 with linespoints ps 1.2 title 'seq_len=1024, gpu_profile=rtx4050-laptop-6gb', \
     'memory-by-lora.r.dat' index 6 using 1:2 with points pt 2 ps 2.2 lw 2 lc rgb '#d62728' title 'out of memory (drawn at the budget)', \
     5.99707 with lines dt 2 lw 2 lc rgb '#d62728' title 'rtx4050-laptop-6gb: 6,141 MiB'
unset output
